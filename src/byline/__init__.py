"""byline: puts every paper of a scholarly library under the right person."""

__version__ = "0.1.0"
