#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The build keeps the layers apart: a file of a layer can include its own headers
and those of the layers below, never a header of a layer above.

For every layer this takes the compiler command meson uses for one of the layer's
sources (compile_commands.json), and compiles a scratch file in its place: one that
includes a header of the layer itself must compile, one that includes a header of
any layer above must not.

usage: layers.py BUILD_DIR/compile_commands.json SOURCE_DIR
"""

import json
import os
import shlex
import subprocess
import sys
import tempfile

# Bottom to top; each with a header that stands for it.
LAYERS = [
    ("core", "vm.h"),
    ("hv-enlight", "hv.h"),
    ("vmbus", "vmbus.h"),
    ("devices", "storvsp.h"),
    ("backends", "tap.h"),
    ("machine", "machine.h"),
    ("mgmt", "mgmt.h"),
    ("program", "cli.h"),
]


def layer_command(entries, srcdir, layer):
    """The compiler command of one source file of layer, as an argv list."""
    prefix = os.path.join(srcdir, "src", layer) + os.sep
    for e in entries:
        path = os.path.normpath(os.path.join(e["directory"], e["file"]))
        if path.startswith(prefix) and path.endswith(".c"):
            argv = e["arguments"] if "arguments" in e else shlex.split(e["command"])
            return e["directory"], path, argv
    return None


def scratch_argv(argv, source, scratch):
    """argv with its output, dependency file and input replaced by a syntax check of
    scratch."""
    out = []
    skip = False
    for a in argv:
        if skip:
            skip = False
            continue
        if a in ("-o", "-MQ", "-MF", "-MT"):
            skip = True
            continue
        if a in ("-c", "-MD", "-MMD"):
            continue
        if os.path.normpath(os.path.join(os.getcwd(), a)) == source or a == source:
            continue
        out.append(a)
    return out + ["-fsyntax-only", scratch]


def compiles(directory, argv, source, header, tmp):
    scratch = os.path.join(tmp, "scratch.c")
    with open(scratch, "w") as f:
        f.write('#include "%s"\n' % header)
    cmd = scratch_argv(argv, source, scratch)
    r = subprocess.run(cmd, cwd=directory, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True)
    return r.returncode == 0, r.stdout


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    with open(sys.argv[1]) as f:
        entries = json.load(f)
    srcdir = os.path.realpath(sys.argv[2])
    failures = 0
    checks = 0
    with tempfile.TemporaryDirectory(prefix="hvkvm-layers-") as tmp:
        for i, (layer, own) in enumerate(LAYERS):
            found = layer_command(entries, srcdir, layer)
            if not found:
                print("FAIL %s: no source of this layer in %s" % (layer, sys.argv[1]))
                failures += 1
                continue
            directory, source, argv = found
            os.chdir(directory)
            ok, out = compiles(directory, argv, source, own, tmp)
            checks += 1
            if ok:
                print("ok   %s includes its own %s" % (layer, own))
            else:
                print("FAIL %s cannot include its own %s:\n%s" % (layer, own, out))
                failures += 1
            for above, header in LAYERS[i + 1:]:
                ok, out = compiles(directory, argv, source, header, tmp)
                checks += 1
                if ok:
                    print("FAIL %s includes %s of %s, a layer above it" % (layer, header, above))
                    failures += 1
                elif "No such file" not in out and "not found" not in out:
                    print("FAIL %s including %s of %s fails, but not for want of the header:\n%s"
                          % (layer, header, above, out))
                    failures += 1
                else:
                    print("ok   %s cannot include %s (%s)" % (layer, header, above))
    print("%d checks, %d failed" % (checks, failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
