#!/usr/bin/env python3
"""The manual page, README.md, the bash completion and the programs' own --help agree.

Usage: man-options.py HVKVM SOURCE_ROOT

- hvkvm --help's options are those of hvkvm(1)'s OPTIONS, of README's "Command line"
  block and of the completion, each with the same short name and argument;
- hvkvm ctl --help's options are those of the page's "hvkvm ctl" subsection and of the
  completion;
- the methods the management server registers (src/mgmt/*.c) are those hvkvm ctl --help
  lists, the page's "Methods" subsection, README's method table and the completion;
- the page's .TH and debian/changelog carry hvkvm --version's version;
- the page's example configuration is data/examples/web-1.json, and hvkvm reads that
  file (--print-config, its kernel and initrd swapped for files that exist).
Prints TAP; exits 1 if any check fails.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

hvkvm, root = sys.argv[1], sys.argv[2]
man_path = os.path.join(root, 'docs', 'hvkvm.1')
readme_path = os.path.join(root, 'README.md')
completion_path = os.path.join(root, 'data', 'bash-completion', 'hvkvm')
example_path = os.path.join(root, 'data', 'examples', 'web-1.json')

results = []


def check(name, ok, detail=''):
    results.append((name, ok, detail))


def compare(name, want, got, want_what, got_what):
    """Two collections of items that must hold the same ones."""
    missing = sorted(set(want) - set(got))
    extra = sorted(set(got) - set(want))
    detail = ''
    if missing:
        detail += '  in %s, not in %s: %s\n' % (want_what, got_what, ', '.join(map(str, missing)))
    if extra:
        detail += '  in %s, not in %s: %s\n' % (got_what, want_what, ', '.join(map(str, extra)))
    if not want:
        detail += '  nothing found in %s\n' % want_what
    check(name, bool(want) and not missing and not extra, detail)


def run(*args):
    p = subprocess.run([hvkvm, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        raise SystemExit('hvkvm %s: exit %d: %s' % (' '.join(args), p.returncode, p.stderr))
    return p.stdout


# "-m, --memory SIZE": (short, long, argument); short and argument may be None.
OPTION = re.compile(r'^(?:(-[A-Za-z0-9]), )?--([a-z][a-z-]*)(?: (\S+))?$')


def help_options(text):
    """The option lines of a --help text (or README's copy of one): two spaces, then
    "-x, " or four spaces, the option and its argument, then its description."""
    opts = []
    for line in text.splitlines():
        m = re.match(r'^  (?:(-[A-Za-z0-9]), |    )--([a-z][a-z-]*)(?: (\S+))?(?:\s|$)', line)
        if m:
            opts.append(m.groups())
    return opts


def troff_text(s):
    """A line of the page as man shows it, for the escapes the page uses."""
    s = re.sub(r'\\f[BIRP]', '', s)
    for esc, plain in (('\\-', '-'), ('\\|', ''), ('\\e', '\\'), ("\\(aq", "'"), ('\\(en', '-'), ('\\&', '')):
        s = s.replace(esc, plain)
    return s.strip()


def man_tags(path):
    """{(section, subsection): [the tag line of each .TP, as text]}"""
    tags = {}
    sh = ss = None
    lines = open(path, encoding='utf-8').read().splitlines()
    for i, line in enumerate(lines):
        if line.startswith('.SH '):
            sh, ss = line[4:].strip().strip('"'), None
        elif line.startswith('.SS '):
            ss = line[4:].strip().strip('"')
        elif line == '.TP' and i + 1 < len(lines):
            tags.setdefault((sh, ss), []).append(troff_text(lines[i + 1]))
    return tags


def man_options(tags):
    opts = []
    for t in tags:
        m = OPTION.match(t)
        opts.append(m.groups() if m else ('unparsed tag', t, None))
    return opts


def source_methods():
    """The methods the server registers: mgmt_register(m, "name", ...) calls, and the
    { "name", handler } tables src/mgmt hands to mgmt_register_table()."""
    names = []
    mgmt = os.path.join(root, 'src', 'mgmt')
    for f in sorted(os.listdir(mgmt)):
        if not f.endswith('.c'):
            continue
        text = open(os.path.join(mgmt, f), encoding='utf-8').read()
        names += re.findall(r'mgmt_register\(\s*\w+,\s*"([^"]+)"', text)
        names += re.findall(r'\{\s*"([a-z]+\.[a-z_]+)",\s*\w+\s*\}', text)
    return names


METHOD = re.compile(r'^[a-z]+\.[a-z_]+$')


def ctl_help_methods(text):
    """The words that look like methods from "Methods:" to "Exit status"."""
    m = re.search(r'^Methods:(.*?)^Exit status', text, re.M | re.S)
    if not m:
        return []
    return [w for w in m.group(1).split() if METHOD.match(w)]


def completion(line):
    """What the bash completion offers for the command line `line` (cursor at its end)."""
    script = ('source "$1"; COMP_LINE=$2; COMP_POINT=${#2}; COMP_WORDS=($2); '
              'COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); '
              '[[ $2 == *" " ]] && { COMP_WORDS+=(""); COMP_CWORD=$(( COMP_CWORD + 1 )); }; '
              'COMPREPLY=(); _hvkvm 2> /dev/null; printf "%s\\n" "${COMPREPLY[@]}"')
    p = subprocess.run(['bash', '--norc', '--noprofile', '-c', script, 'completion', completion_path, line],
                       stdout=subprocess.PIPE, text=True)
    return [w for w in p.stdout.splitlines() if w]


# --- options -----------------------------------------------------------------------------
help_text = run('--help')
ctl_text = run('ctl', '--help')
tags = man_tags(man_path)
hopts = help_options(help_text)
compare('hvkvm --help and hvkvm(1) OPTIONS list the same options', hopts,
        man_options(tags.get(('OPTIONS', None), [])), 'hvkvm --help', 'hvkvm(1) OPTIONS')

readme = open(readme_path, encoding='utf-8').read()
m = re.search(r'^## Command line\n+```\n(.*?)^```', readme, re.M | re.S)
compare('hvkvm --help and README.md "Command line" list the same options', hopts,
        help_options(m.group(1)) if m else [], 'hvkvm --help', 'README.md')

copts = help_options(ctl_text)
compare('hvkvm ctl --help and hvkvm(1) "hvkvm ctl" list the same options', copts,
        man_options(tags.get(('MANAGEMENT SOCKET', 'hvkvm ctl'), [])), 'hvkvm ctl --help',
        'hvkvm(1) "hvkvm ctl"')

compare('the completion offers hvkvm --help\'s options', ['--' + o[1] for o in hopts],
        completion('hvkvm --'), 'hvkvm --help', 'the completion of "hvkvm --"')
compare('the completion offers hvkvm ctl --help\'s options', ['--' + o[1] for o in copts],
        completion('hvkvm ctl --'), 'hvkvm ctl --help', 'the completion of "hvkvm ctl --"')

# --- methods -----------------------------------------------------------------------------
methods = source_methods()
check('the server registers each method once', len(methods) == len(set(methods)),
      '  %s\n' % ', '.join(methods))
compare('hvkvm ctl --help lists the methods the server registers', methods,
        ctl_help_methods(ctl_text), 'src/mgmt', 'hvkvm ctl --help')
man_methods = [t.split()[0] for t in tags.get(('MANAGEMENT SOCKET', 'Methods'), []) if t]
compare('hvkvm(1) "Methods" lists the methods the server registers', methods, man_methods,
        'src/mgmt', 'hvkvm(1) "Methods"')
m = re.search(r'^## Management socket\n(.*?)^## ', readme, re.M | re.S)
readme_methods = []
for line in (m.group(1) if m else '').splitlines():
    if line.startswith('| `'):
        readme_methods += [w for w in re.findall(r'`([^`]+)`', line.split('|')[1]) if METHOD.match(w)]
compare('README.md\'s method table lists the methods the server registers', methods, readme_methods,
        'src/mgmt', 'README.md')
compare('the completion offers the methods the server registers', methods,
        completion('hvkvm ctl --socket vm.sock '), 'src/mgmt', 'the completion of "hvkvm ctl --socket vm.sock "')

# --- version and example -----------------------------------------------------------------
version = run('--version').split()[-1]
th = [line for line in open(man_path, encoding='utf-8') if line.startswith('.TH ')]
check('hvkvm(1)\'s .TH names hvkvm %s' % version,
      len(th) == 1 and ('"hvkvm %s"' % version) in th[0], '  %s' % (th[0] if th else 'no .TH\n'))

changelog = os.path.join(root, 'debian', 'changelog')
if os.path.exists(changelog):
    first = open(changelog, encoding='utf-8').readline()
    check('debian/changelog\'s version is hvkvm %s' % version,
          re.match(r'^hvkvm \(%s\) ' % re.escape(version), first) is not None, '  %s' % first)

page = open(man_path, encoding='utf-8').read()
m = re.search(r'^An example, installed as\n.*?^\.EX\n(.*?)^\.EE', page, re.M | re.S)
example = open(example_path, encoding='utf-8').read()
shown = '\n'.join(troff_text(line) if line.strip() else line for line in m.group(1).splitlines()) if m else ''
check('hvkvm(1) shows data/examples/web-1.json',
      [line.strip() for line in shown.splitlines()] == [line.strip() for line in example.splitlines()],
      '  the page:\n%s\n  the file:\n%s' % (shown, example))

with tempfile.TemporaryDirectory() as tmp:
    cfg = json.loads(example)
    for key in ('kernel', 'initrd'):
        cfg[key] = os.path.join(tmp, key)
        open(cfg[key], 'w').close()
    path = os.path.join(tmp, 'web-1.json')
    with open(path, 'w') as f:
        json.dump(cfg, f)
    p = subprocess.run([hvkvm, '--config', path, '--print-config'], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    check('hvkvm --config reads the example (its kernel and initrd swapped)', p.returncode == 0,
          '  exit %d: %s' % (p.returncode, p.stderr))

failed = 0
for n, (name, ok, detail) in enumerate(results, 1):
    print('%s %d - %s' % ('ok' if ok else 'not ok', n, name))
    if not ok:
        failed += 1
        sys.stdout.write(detail if detail.endswith('\n') or not detail else detail + '\n')
print('1..%d' % len(results))
sys.exit(1 if failed else 0)
