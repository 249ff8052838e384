#!/usr/bin/env python3
"""ctest: scripts/fixgw-dictgen rejects every tests/dict/data/bad/*.xml with the
code, line and element its first line expects (the C loader is held to the
same list by test_dict_load), and rejects runaway nesting without a crash."""
import importlib.machinery
import importlib.util
import os
import re
import sys

root, data = sys.argv[1], sys.argv[2]
loader = importlib.machinery.SourceFileLoader(
    "dictgen", os.path.join(root, "scripts", "fixgw-dictgen"))
spec = importlib.util.spec_from_loader("dictgen", loader)
dg = importlib.util.module_from_spec(spec)
loader.exec_module(dg)

failures = 0
bad = os.path.join(data, "bad")
names = sorted(n for n in os.listdir(bad) if n.endswith(".xml"))
for name in names:
    with open(os.path.join(bad, name), "rb") as fh:
        text = fh.read()
    m = re.match(rb"<!-- expect: EDICT_(\w+) (\d+) (\S+) -->", text)
    assert m, name + ": no expectation on line 1"
    code, line, el = m.group(1).decode(), int(m.group(2)), m.group(3).decode()
    el = "" if el == "-" else el
    try:
        dg.build(dg.parse(text))
        print("FAIL %s: accepted" % name)
        failures += 1
    except dg.DictError as e:
        if (e.code, e.line, e.element) != (code, line, el):
            print("FAIL %s: got %s %d <%s> %s, want %s %d <%s>"
                  % (name, e.code, e.line, e.element, e.msg, code, line, el))
            failures += 1

# Elements nested far deeper than the limit, and components chained deeper.
deep = b"<fix type='FIX' major='4' minor='4'><messages>" + \
    b"<message name='M' msgtype='D'>" + b"<group name='G'>" * 100000
try:
    dg.build(dg.parse(deep))
    failures += 1
    print("FAIL deep nesting accepted")
except dg.DictError as e:
    if e.code != "LIMIT":
        failures += 1
        print("FAIL deep nesting: %s %s" % (e.code, e.msg))

chain = ["<fix type='FIX' major='4' minor='4'><messages>"
         "<message name='M' msgtype='D'><component name='C0' required='Y'/>"
         "</message></messages><components>"]
for i in range(200):
    chain.append("<component name='C%d'><component name='C%d' required='Y'/>"
                 "</component>" % (i, i + 1))
chain.append("<component name='C200'><field name='F' required='Y'/>"
             "</component></components><fields>"
             "<field number='1' name='F' type='INT'/></fields></fix>")
try:
    dg.build(dg.parse("".join(chain).encode()))
    failures += 1
    print("FAIL component chain accepted")
except dg.DictError as e:
    if e.code != "LIMIT":
        failures += 1
        print("FAIL component chain: %s %s" % (e.code, e.msg))

# The custom fixture is accepted.
with open(os.path.join(data, "custom.xml"), "rb") as fh:
    dg.build(dg.parse(fh.read()))

print("%d bad dictionaries checked, %d failures" % (len(names), failures))
sys.exit(1 if failures else 0)
