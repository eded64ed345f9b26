#!/usr/bin/env bash
# abi_doc.sh: docs/ABI.md documents the whole kernel ABI of
# include/vectra/abi.h, with the header's own numbers.
#
# The ABI is taken from the header itself, not from a copy: a small C
# program, generated here from the X-macro lists (V_SYSCALLS, V_ERRORS,
# V_TYPES, V_RIGHTS), the layout constants and the shared structures'
# fields, is compiled with the host gcc and prints every number, value,
# size and offset. The document must then have:
#   - a heading "### <number> <name>" for every system call, in order,
#     none for a call that does not exist, fewer than 50 calls, each with
#     the sections Arguments, Returns, Errors, Capability, Notes (in that
#     order), one Arguments row per register the call takes, only defined
#     error names in its Errors (and never V_ENOSYS), and a summary row;
#   - a table row "| `NAME` | value |" for every error, type and right;
#   - a table row for every layout constant with its value;
#   - a heading "### struct NAME (SIZE bytes)" for every shared structure,
#     with a row "| offset | `field` |" for each of its fields.
# Then the checker is run on damaged copies of the document to show it
# notices each kind of damage.
#
# Usage: bash tests/tools/abi_doc.sh [build-dir]   (run by make test)
# Prints one PASS/FAIL line per item class and per missing item; exits
# non-zero if anything failed.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
exec python3 - "$ROOT" "${1:-build}" <<'PY'
import os
import re
import subprocess
import sys
import tempfile

ROOT = sys.argv[1]
HEADER = os.path.join(ROOT, "include", "vectra", "abi.h")
DOC = os.path.join(ROOT, "docs", "ABI.md")
REGS = ["rdi", "rsi", "rdx", "r10", "r8", "r9"]
SECTIONS = ["Arguments", "Returns", "Errors", "Capability", "Notes"]
MAX_SYSCALLS = 50

results = []          # (ok, line) for the real document


def out(ok, text):
    print(("PASS " if ok else "FAIL ") + "abi_doc: " + text, flush=True)
    results.append(ok)


# ---- the ABI, from the header -------------------------------------------

def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", " ", text)


def shared_structs(header_text):
    """Every struct defined in the header, with its field names in order."""
    text = strip_comments(header_text)
    structs = []
    for m in re.finditer(r"\bstruct\s+(\w+)\s*\{(.*?)\}\s*;", text, flags=re.S):
        fields = []
        for decl in m.group(2).split(";"):
            decl = decl.strip()
            if not decl:
                continue
            # "uint32_t type, rights" / "char name[32]" / "struct v_fault fault"
            words = decl.split(None, 2 if decl.startswith("struct ") else 1)
            rest = words[-1]
            for d in rest.split(","):
                name = re.match(r"\s*\**\s*(\w+)", d)
                if name:
                    fields.append(name.group(1))
        structs.append((m.group(1), fields))
    return structs


def layout_constants(header_text):
    i = header_text.find("user address-space layout")
    if i < 0:
        return []
    return re.findall(r"^#define\s+(V_\w+)\s", header_text[i:], flags=re.M)


def read_abi():
    """Compile and run a program that prints the ABI; parse its lines."""
    with open(HEADER) as f:
        header_text = f.read()
    structs = shared_structs(header_text)
    consts = layout_constants(header_text)
    prog = ["#include <stdio.h>", "#include <stddef.h>", "#include <vectra/abi.h>",
            "int main(void) {",
            '#define S(num, name, nargs, cls) printf("SYSCALL %d %s %d %s\\n", num, #name, nargs, #cls);',
            "V_SYSCALLS(S)",
            '#define E(name, val, text) printf("ERROR %s %d\\n", #name, val);',
            "V_ERRORS(E)",
            '#define T(name, val) printf("TYPE %s %d\\n", #name, val);',
            "V_TYPES(T)",
            '#define R(name, val, text) printf("RIGHT %s %d\\n", #name, val);',
            "V_RIGHTS(R)",
            'printf("NSYSCALLS %d\\n", (int)V_NSYSCALLS);']
    for c in consts:
        prog.append('printf("CONST %s %%llu\\n", (unsigned long long)(%s));' % (c, c))
    for name, fields in structs:
        prog.append('printf("STRUCT %s %%zu\\n", sizeof(struct %s));' % (name, name))
        for fl in fields:
            prog.append('printf("FIELD %s %s %%zu\\n", offsetof(struct %s, %s));'
                        % (name, fl, name, fl))
    prog.append("return 0; }")
    with tempfile.TemporaryDirectory(prefix="abi_doc.") as tmp:
        src, exe = os.path.join(tmp, "abi.c"), os.path.join(tmp, "abi")
        with open(src, "w") as f:
            f.write("\n".join(prog) + "\n")
        cc = subprocess.run(["gcc", "-std=gnu11", "-I" + os.path.join(ROOT, "include"),
                             "-o", exe, src], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
        if cc.returncode != 0:
            raise RuntimeError("cannot compile the ABI extractor: "
                               + cc.stdout.decode("utf-8", "replace")[-500:])
        run = subprocess.run([exe], stdout=subprocess.PIPE, check=True)
    abi = {"syscalls": [], "errors": [], "types": [], "rights": [], "consts": [],
           "structs": {}, "order": []}
    for line in run.stdout.decode().splitlines():
        w = line.split()
        if w[0] == "SYSCALL":
            abi["syscalls"].append((int(w[1]), w[2], int(w[3]), w[4]))
        elif w[0] == "ERROR":
            abi["errors"].append((w[1], int(w[2])))
        elif w[0] == "TYPE":
            abi["types"].append((w[1], int(w[2])))
        elif w[0] == "RIGHT":
            abi["rights"].append((w[1], int(w[2])))
        elif w[0] == "CONST":
            abi["consts"].append((w[1], int(w[2])))
        elif w[0] == "NSYSCALLS":
            abi["nsyscalls"] = int(w[1])
        elif w[0] == "STRUCT":
            abi["structs"][w[1]] = {"size": int(w[2]), "fields": []}
            abi["order"].append(w[1])
        elif w[0] == "FIELD":
            abi["structs"][w[1]]["fields"].append((w[2], int(w[3])))
    return abi


# ---- the document ---------------------------------------------------------

def number(cell):
    cell = cell.strip().strip("`").replace("_", "")
    try:
        return int(cell, 0)
    except ValueError:
        return None


def table_value(doc, name):
    """Values in rows whose first cell is `name` (second cell parsed)."""
    vals = []
    for m in re.finditer(r"^\|\s*`?%s`?\s*\|\s*([^|]*)\|" % re.escape(name), doc, flags=re.M):
        vals.append(number(m.group(1)))
    return vals


def section(doc, start, level):
    """Text from offset start to the next heading of this level or higher."""
    pat = re.compile(r"^#{1,%d} " % level, flags=re.M)
    m = pat.search(doc, start)
    return doc[start:m.start() if m else len(doc)]


def check(doc, abi, report):
    ok_all = True

    def fail(text):
        nonlocal ok_all
        ok_all = False
        report(False, text)

    errnames = {n for n, _ in abi["errors"]}

    # system calls
    calls = abi["syscalls"]
    n_ok = True
    if len(calls) >= MAX_SYSCALLS:
        fail("%d system calls: the design allows fewer than %d" % (len(calls), MAX_SYSCALLS))
        n_ok = False
    if [c[0] for c in calls] != list(range(len(calls))) or abi.get("nsyscalls") != len(calls):
        fail("system call numbers are not 0..%d in order" % (len(calls) - 1))
        n_ok = False
    if n_ok:
        report(True, "%d system calls, numbered 0..%d, fewer than %d"
               % (len(calls), len(calls) - 1, MAX_SYSCALLS))
    known = {(c[0], c[1]) for c in calls}
    headings = [(int(m.group(1)), m.group(2), m.start())
                for m in re.finditer(r"^### (\d+) (\w+)\s*$", doc, flags=re.M)]
    sc_ok = True
    for num, name, _ in headings:
        if (num, name) not in known:
            fail("heading '### %d %s' names no system call of abi.h" % (num, name))
            sc_ok = False
    if [h[0] for h in headings] != sorted(h[0] for h in headings):
        fail("system call headings are not in number order")
        sc_ok = False
    where = {(h[0], h[1]): h[2] for h in headings}
    for num, name, nargs, cls in calls:
        label = "syscall %d %s" % (num, name)
        if (num, name) not in where:
            fail("%s: no heading '### %d %s'" % (label, num, name))
            sc_ok = False
            continue
        body = section(doc, where[(num, name)] + 1, 3)
        subs = re.findall(r"^#### (\w+)", body, flags=re.M)
        if subs != SECTIONS:
            fail("%s: sections are %s, not %s" % (label, subs, SECTIONS))
            sc_ok = False
            continue
        parts = {}
        for s in SECTIONS:
            m = re.search(r"^#### %s\s*$" % s, body, flags=re.M)
            parts[s] = section(body, m.end(), 4)
        rows = re.findall(r"^\|\s*`(\w+)`\s*\|", parts["Arguments"], flags=re.M)
        if nargs == 0:
            if rows or "None" not in parts["Arguments"]:
                fail("%s: takes no arguments, but Arguments does not say None" % label)
                sc_ok = False
        elif rows != REGS[:nargs]:
            fail("%s: takes %d arguments (%s), Arguments lists %s"
                 % (label, nargs, ", ".join(REGS[:nargs]), rows))
            sc_ok = False
        named = set(re.findall(r"\bV_E[A-Z]+\b", parts["Errors"]))
        bad = sorted(named - errnames)
        if bad:
            fail("%s: Errors names undefined codes %s" % (label, ", ".join(bad)))
            sc_ok = False
        if "V_ENOSYS" in named:
            fail("%s: lists V_ENOSYS, which only the dispatcher returns" % label)
            sc_ok = False
        if not named and "None" not in parts["Errors"]:
            fail("%s: Errors lists no code and does not say None" % label)
            sc_ok = False
        if not re.search(r"^\|\s*%d\s*\|\s*`%s`\s*\|" % (num, name), doc, flags=re.M):
            fail("%s: no row in the summary table" % label)
            sc_ok = False
    if sc_ok:
        report(True, "every system call has its heading, summary row and the sections %s"
               % "/".join(SECTIONS))

    # errors, types, rights: "| `NAME` | value |"
    for cls, key in (("error", "errors"), ("type", "types"), ("right", "rights")):
        cls_ok = True
        for name, val in abi[key]:
            vals = table_value(doc, name)
            if not vals:
                fail("%s %s (%d): no table row" % (cls, name, val))
                cls_ok = False
            elif val not in vals:
                fail("%s %s: documented as %s, abi.h says %d" % (cls, name, vals, val))
                cls_ok = False
        if cls_ok:
            report(True, "all %d %ss documented with their values" % (len(abi[key]), cls))

    # layout constants
    c_ok = True
    for name, val in abi["consts"]:
        vals = table_value(doc, name)
        if not vals:
            fail("constant %s (%#x): no table row" % (name, val))
            c_ok = False
        elif val not in vals:
            fail("constant %s: documented as %s, abi.h says %#x"
                 % (name, [v if v is None else hex(v) for v in vals], val))
            c_ok = False
    if c_ok:
        report(True, "all %d layout constants documented with their values" % len(abi["consts"]))

    # shared structures
    s_ok = True
    for name in abi["order"]:
        st = abi["structs"][name]
        m = re.search(r"^### struct %s \((\d+) bytes\)\s*$" % name, doc, flags=re.M)
        if not m:
            fail("struct %s (%d bytes): no heading '### struct %s (%d bytes)'"
                 % (name, st["size"], name, st["size"]))
            s_ok = False
            continue
        if int(m.group(1)) != st["size"]:
            fail("struct %s: documented as %s bytes, abi.h makes it %d"
                 % (name, m.group(1), st["size"]))
            s_ok = False
        body = section(doc, m.end(), 3)
        for field, off in st["fields"]:
            if not re.search(r"^\|\s*%d\s*\|\s*`%s`\s*\|" % (off, field), body, flags=re.M):
                fail("struct %s: no row '| %d | `%s` |'" % (name, off, field))
                s_ok = False
    if s_ok:
        report(True, "all %d shared structures documented with their sizes and field offsets"
               % len(abi["order"]))
    return ok_all


# ---- run ------------------------------------------------------------------

def main():
    try:
        abi = read_abi()
    except (RuntimeError, OSError, subprocess.CalledProcessError) as e:
        out(False, "reading include/vectra/abi.h: %s" % e)
        return 1
    if not abi["syscalls"] or not abi["errors"] or not abi["types"] or not abi["rights"]:
        out(False, "abi.h yielded no syscalls, errors, types or rights")
        return 1
    try:
        with open(DOC, encoding="utf-8") as f:
            doc = f.read()
    except OSError as e:
        out(False, "cannot read docs/ABI.md: %s" % e)
        return 1

    check(doc, abi, out)

    # The checker must notice damage: each mutation must make it fail.
    first = abi["syscalls"][0][1]
    mid = abi["syscalls"][len(abi["syscalls"]) // 2]
    err = abi["errors"][-1]
    right = abi["rights"][-1]
    sname = abi["order"][0]
    mutations = [
        ("a missing system call heading",
         lambda d: re.sub(r"^### %d %s\s*$" % (mid[0], mid[1]), "### %s" % mid[1], d, flags=re.M)),
        ("a heading for a system call that does not exist",
         lambda d: d + "\n### %d bogus_call\n" % len(abi["syscalls"])),
        ("a system call without its Errors section",
         lambda d: re.sub(r"(^### 0 %s\s*$.*?)^#### Errors\s*$" % first, r"\1#### Problems",
                          d, count=1, flags=re.M | re.S)),
        ("an extra argument row",
         lambda d: re.sub(r"(^### 0 %s\s*$.*?^#### Arguments\s*$.*?\n\|[^\n]*\n\|[^\n]*\n)" % first,
                          r"\1| `r9` | `bogus` | none |\n", d, count=1, flags=re.M | re.S)),
        ("an undefined error code in an Errors list",
         lambda d: re.sub(r"(^### 0 %s\s*$.*?^#### Errors\s*$)" % first, r"\1\n\n1. `V_EBOGUS`",
                          d, count=1, flags=re.M | re.S)),
        ("a wrong error value",
         lambda d: re.sub(r"^(\|\s*`%s`\s*\|)\s*%d\s*\|" % (err[0], err[1]), r"\1 %d |" % (err[1] + 40),
                          d, flags=re.M)),
        ("a missing right",
         lambda d: re.sub(r"^\|\s*`%s`\s*\|.*\n" % right[0], "", d, flags=re.M)),
        ("a wrong structure size",
         lambda d: re.sub(r"^(### struct %s \()(\d+)( bytes\))" % sname,
                          lambda m: m.group(1) + str(int(m.group(2)) + 8) + m.group(3), d, flags=re.M)),
    ]
    for what, mutate in mutations:
        damaged = mutate(doc)
        if damaged == doc:
            out(False, "self-test: could not make %s (document layout changed?)" % what)
            continue
        detected = not check(damaged, abi, lambda ok, text: None)
        out(detected, "self-test: %s is %s" % (what, "detected" if detected else "NOT detected"))

    return 0 if all(results) else 1


sys.exit(main())
PY
