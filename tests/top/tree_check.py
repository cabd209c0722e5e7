# SPDX-License-Identifier: MIT
"""tree_check.py FRAME ROOT PIDS [--bytes [--dmapss=BYTES]]

Checks a `gpumem top -g tree` frame (the last one in FRAME) against the
process tree that ROOT's status files say (PPid:), worked out here and not
by gpumem.  PIDS: the holders, one per line (from gpumem --json).

- every holder is shown once, under one sum row;
- the processes under a sum row are one tree: connected by PPid: among the
  holders (a parent that holds nothing, is missing or is the process
  itself ends the tree there; a loop is one tree);
- the first member is the tree's root, at depth 1; each other member
  comes after its parent, one deeper ("`- " two columns further in);
- with --bytes, each sum row's figures are its members' sums, and the PSS
  columns of the sum rows add up to those of all the processes, and the
  DMAPSS ones to BYTES (the snapshot's userspace dma-buf bytes).
"""
import collections
import os
import re
import sys


def status_ppid(root, pid):
    try:
        text = open(os.path.join(root, 'proc', pid, 'status'),
                    encoding='utf-8', errors='replace').read()
    except OSError:
        return None
    for line in text.split('\n'):
        if line.startswith('PPid:'):
            v = line[5:].strip()
            return v if v.isdigit() else None
    return None


def parse(frame):
    lines = open(frame, encoding='utf-8').read().split('\n')
    h = [i for i, l in enumerate(lines)
         if l.lstrip().startswith('PID USER')][-1]
    heads = lines[h].split()
    sizes = heads[heads.index('USER') + 1:heads.index('DELTA')]
    at = lines[h].index('COMMAND')
    trees = []
    for l in lines[h + 1:]:
        if not l.strip():
            break
        tok = l.split()
        cells = tok[2:2 + len(sizes)]
        name = l[at:]
        if tok[0] == '-':
            m = re.match(r'(.*) \((\d+) process(?:es)?\)$', name)
            assert m, l
            trees.append(dict(n=int(m.group(2)), cells=cells, members=[]))
            continue
        m = re.match(r'( *)`- ', name)
        assert m and trees, ('a member outside a tree', l)
        assert len(m.group(1)) % 2 == 0, l
        trees[-1]['members'].append(
            (tok[0], len(m.group(1)) // 2, cells))
    return sizes, trees


def main():
    frame, root, pids_file = sys.argv[1:4]
    exact = '--bytes' in sys.argv[4:]
    holders = {l.strip() for l in open(pids_file) if l.strip()}
    sizes, trees = parse(frame)
    ppid = {p: status_ppid(root, p) for p in holders}
    parent = {p: q for p, q in ppid.items()
              if q in holders and q != p}
    shown = [m[0] for t in trees for m in t['members']]
    assert sorted(shown) == sorted(holders), (sorted(shown), sorted(holders))

    # The trees: components of the parent links among the holders.
    comp = {p: p for p in holders}

    def find(p):
        while comp[p] != p:
            p = comp[p]
        return p
    for p, q in parent.items():
        comp[find(p)] = find(q)
    want = collections.defaultdict(set)
    for p in holders:
        want[find(p)].add(p)
    got = [set(m[0] for m in t['members']) for t in trees]
    assert sorted(map(sorted, got)) == sorted(map(sorted, want.values())), \
        (got, dict(want))

    for t in trees:
        assert t['n'] == len(t['members']), t
        depth = {}
        for i, (pid, d, _) in enumerate(t['members']):
            if i == 0:
                assert d == 1, ('the root is not at depth 1', t)
            else:
                q = parent.get(pid)
                assert q in depth, ('shown before its parent', pid, t)
                assert d == depth[q] + 1, ('depth', pid, d, depth[q])
            depth[pid] = d
        if exact:
            for c in range(len(sizes)):
                s = sum(int(m[2][c].rstrip('?')) for m in t['members'])
                assert int(t['cells'][c].rstrip('?')) == s, \
                    (sizes[c], t['cells'][c], s, t)
    if exact:
        for c, head in enumerate(sizes):
            if 'PSS' not in head:
                continue
            trees_sum = sum(int(t['cells'][c].rstrip('?')) for t in trees)
            procs_sum = sum(int(m[2][c].rstrip('?'))
                            for t in trees for m in t['members'])
            assert trees_sum == procs_sum, (head, trees_sum, procs_sum)
            for a in sys.argv[4:]:
                if a.startswith('--dmapss=') and head == 'DMAPSS':
                    assert trees_sum == int(a[9:]), (trees_sum, a)
    print('%d trees, %d processes' % (len(trees), len(shown)))


main()
