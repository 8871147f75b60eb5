"""No Jinja {% for %} program longer than three lines in the YAML of roles/ and playbooks/ (issue 10):
logic of that size goes into plugins/filter/ with unit tests. Templates (*.j2) are not checked."""
import glob
import os
import re

import pytest

ROOT = os.path.join(os.path.dirname(__file__), '..', '..')
TAG = re.compile(r'\{%-?\s*(for|endfor)\b')
MAX_LINES = 3


def _files():
    for top in ('roles', 'playbooks'):
        for pattern in ('**/*.yml', '**/*.yaml'):
            for path in glob.glob(os.path.join(ROOT, top, pattern), recursive=True):
                yield os.path.relpath(path, ROOT)


def loops(text):
    """(first line, last line) of every outermost {% for %} ... {% endfor %} of ``text`` (1-based)."""
    out, depth, start = [], 0, None
    for number, line in enumerate(text.splitlines(), 1):
        for match in TAG.finditer(line):
            if match.group(1) == 'for':
                if depth == 0:
                    start = number
                depth += 1
            elif depth:
                depth -= 1
                if depth == 0:
                    out.append((start, number))
    if depth:
        out.append((start, len(text.splitlines())))
    return out


def test_the_scanner_measures_loops():
    assert loops('a: "{% for x in y %}{{ x }}{% endfor %}"\n') == [(1, 1)]
    text = 'a: >-\n  {%- for x in y -%}\n  {%-   for z in x -%}\n  {{ z }}\n  {%-   endfor -%}\n  {%- endfor -%}\n'
    assert loops(text) == [(2, 6)]
    assert loops('a: "{% for x in y %}\n') == [(1, 1)]


@pytest.mark.parametrize('path', sorted(set(_files())))
def test_no_long_jinja_loop(path):
    with open(os.path.join(ROOT, path), encoding='utf-8') as handle:
        text = handle.read()
    long_loops = ['%s:%d-%d' % (path, a, b) for a, b in loops(text) if b - a + 1 > MAX_LINES]
    assert not long_loops, 'Jinja loops longer than %d lines (make them filters in plugins/filter/): %s' % (
        MAX_LINES, ', '.join(long_loops))
