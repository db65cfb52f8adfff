from lib import *
import time
t=time.time()
p = oof_probs()
print("fit", time.time()-t)
pickle.dump(p, open("bench/work/sq/base_probs.pkl","wb"))
report("shipped", cluster(p))
report("rule", C["rule"])
