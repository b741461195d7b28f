# Random Eliot messages (seeded) full of what is hard to print, for
# tests/prettyprint_python.rs: random_messages.py SEED COUNT > log
import json, random, sys
r = random.Random(int(sys.argv[1]))
WORDS = ["a", "hello", "x"*30, "it's", 'say "hi"', "tab\there", "nl\nline", "back\\slash", "é", "😀", "\u202e", "\x1b[31m", "  ", "\r\n", "\u2028", "\x00", "\x7f", "\x85", "\ud800"]
def rstr(words=WORDS):
    return "".join(r.choice(words) + r.choice(["", " ", "  ", "\n"]) for _ in range(r.randint(0, 12)))
def rval(d=0):
    k = r.randint(0, 9 if d < 4 else 5)
    if k == 0: return None
    if k == 1: return r.choice([True, False])
    if k == 2: return r.randint(-10**r.randint(1,30), 10**r.randint(1,30))
    if k == 3: return r.choice([r.random()*10**r.randint(-10,20), 1e16, 1e-5, 0.1, -0.0, 1e300, 123456789.125])
    if k in (4,5): return rstr()
    if k in (6,7): return [rval(d+1) for _ in range(r.randint(0,6))]
    return {rstr(WORDS[:-1])[:10] + str(i): rval(d+1) for i in range(r.randint(0,6))}
for i in range(int(sys.argv[2])):
    m = {rstr(WORDS[:-1])[:12] or "k": rval() for _ in range(r.randint(0, 6))}
    m["timestamp"] = r.choice([r.uniform(0, 2e9), r.randint(0, 2e9), r.uniform(-1e10, 2.5e11)])
    m["task_uuid"] = "u%d" % i
    m["task_level"] = [r.randint(1, 9) for _ in range(r.randint(1, 4))]
    if r.random() < 0.5: m["message_type"] = rstr()[:20]
    else:
        m["action_type"] = rstr()[:20]; m["action_status"] = r.choice(["started","succeeded","failed"])
    sys.stdout.buffer.write(json.dumps(m, ensure_ascii=r.random() < 0.5).encode("utf-8", "surrogatepass") + b"\n")
