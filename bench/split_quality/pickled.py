"""One pickle file per derived object of the harness: loaded when there, else built and kept."""
import os, pickle
def pickled(path, build):
    if os.path.exists(path):
        return pickle.load(open(path, "rb"))
    value = build()
    pickle.dump(value, open(path, "wb"), protocol=5)
    return value
