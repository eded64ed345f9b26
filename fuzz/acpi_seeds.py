#!/usr/bin/env python3
"""Seeds for fuzz/acpi_tables from the QEMU q35 tables in
tests/host/acpi_q35_tables.h: each MADT, MCFG and DMAR behind its mode byte
(0, 1, 2), and each firmware's RSDP, root and tables relocated into one
small memory image behind mode byte 3.

usage: acpi_seeds.py HEADER OUTDIR"""
import os, re, struct, sys

text = open(sys.argv[1]).read()
out = sys.argv[2]
os.makedirs(out, exist_ok=True)
for name, body in re.findall(r'static const struct q35_chunk (\w+)\[\] = \{(.*?)\n\};', text, re.S):
    chunks = []
    for addr, hexes in re.findall(r'\{0x([0-9a-f]+), \d+, /\* \w+ \*/\s*((?:"[0-9a-f]*"\s*)+)\}', body):
        chunks.append((int(addr, 16), bytes.fromhex(''.join(re.findall(r'"([0-9a-f]*)"', hexes)))))
    tag = name.split('_')[-1]
    for mode, sig in enumerate([b'APIC', b'MCFG', b'DMAR']):
        for _, b in chunks:
            if b[:4] == sig:
                open(f'{out}/{tag}-{sig.decode()}.bin', 'wb').write(bytes([mode]) + b)
    # Relocate: RSDP at 0 (36 bytes), then the root, then the tables.
    rsdp, root, tables = chunks[0][1], chunks[1][1], [c[1] for c in chunks[2:]]
    esz = 8 if root[:4] == b'XSDT' else 4
    at, placed = 48, []
    root_at = at
    at += (len(root) + 15) & ~15
    for t in tables:
        placed.append(at)
        at += (len(t) + 15) & ~15
    img = bytearray(at)
    r = bytearray(root[:36]) + b''.join(struct.pack('<Q' if esz == 8 else '<I', p) for p in placed)
    img[root_at:root_at + len(r)] = r
    for p, t in zip(placed, tables):
        img[p:p + len(t)] = t
    v = bytearray(rsdp.ljust(36, b'\0'))
    struct.pack_into('<I', v, 16, root_at)
    if esz == 8:
        struct.pack_into('<Q', v, 24, root_at)
    img[0:36] = v   # checksums are fixed by the target
    open(f'{out}/{tag}-platform.bin', 'wb').write(bytes([3]) + bytes(img))
