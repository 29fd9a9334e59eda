"""The documentation site builds strictly (broken links and anchors fail the build), every page is
reachable from the README, and the code's pointers into the docs name pages and headings that
exist."""
import os
import os.path as osp
import re
import shutil
import subprocess
import sys

import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
DOCS = osp.join(ROOT, 'docs')
MKDOCS = [sys.executable, '-m', 'mkdocs', 'build', '--strict']
LINK = re.compile(r'\]\(([^)\s]+)\)')


def build(project: str, site: str):
    return subprocess.run(MKDOCS + ['--config-file', osp.join(project, 'mkdocs.yml'),
                                    '--site-dir', site], capture_output=True, text=True)


def copy_project(dst) -> str:
    """mkdocs.yml and docs/ (links followed: docs/changelog.md is a link to CHANGELOG.md)."""
    shutil.copy2(osp.join(ROOT, 'mkdocs.yml'), dst / 'mkdocs.yml')
    shutil.copytree(DOCS, dst / 'docs', symlinks=False)
    return str(dst)


def test_docs_build_strictly(tmp_path):
    out = build(ROOT, str(tmp_path / 'site'))
    assert out.returncode == 0, out.stderr[-3000:]
    assert (tmp_path / 'site' / 'index.html').is_file()
    assert (tmp_path / 'site' / 'user_guides' / 'recipes.html').is_file()


@pytest.mark.parametrize('bad', ['[a page that is not there](user_guides/no_such_page.md)',
                                 '[a heading that is not there](faq.md#no-such-heading)'])
def test_a_broken_link_or_anchor_fails_the_build(tmp_path, bad):
    project = copy_project(tmp_path)
    with open(osp.join(project, 'docs', 'index.md'), 'a') as f:
        f.write(f'\n{bad}\n')
    out = build(project, str(tmp_path / 'site'))
    assert out.returncode != 0
    target = re.search(r'\((.+)\)', bad).group(1)
    log = out.stdout + out.stderr
    assert target.split('#')[-1] in log and 'strict mode' in log, log[-2000:]


def _pages():
    return {osp.relpath(osp.join(folder, f), ROOT) for folder, _, files in os.walk(DOCS)
            for f in files if f.endswith('.md')}


def test_readme_links_resolve():
    """The README is not part of the site, so MkDocs does not check it: its links are checked
    here (files, and headings of Markdown files)."""
    bad = []
    for target in LINK.findall(open(osp.join(ROOT, 'README.md'), encoding='utf-8').read()):
        if '://' in target:
            continue
        path, _, anchor = target.partition('#')
        page = path or 'README.md'
        if not osp.exists(osp.join(ROOT, page)):
            bad.append(f'{target}: no {page}')
        elif anchor and page.endswith('.md') and anchor not in _anchors(page):
            bad.append(f'{target}: no heading #{anchor} in {page}')
    assert not bad, bad


def test_every_docs_page_is_reachable_from_the_readme():
    seen, todo = set(), ['README.md']
    while todo:
        page = todo.pop()
        if page in seen or not osp.isfile(osp.join(ROOT, page)):
            continue
        seen.add(page)
        text = open(osp.join(ROOT, page), encoding='utf-8').read()
        for target in LINK.findall(text):
            path = target.split('#')[0]
            if path.endswith('.md') and '://' not in path:
                todo.append(osp.normpath(osp.join(osp.dirname(page), path)))
    assert _pages() - seen == set(), 'pages no link from the README leads to'


def _slug(heading: str) -> str:
    from markdown.extensions.toc import slugify  # what MkDocs names heading anchors with
    return slugify(re.sub(r'[`*]', '', heading), '-')


def _anchors(page: str) -> set:
    text = open(osp.join(ROOT, page), encoding='utf-8').read()
    text = re.sub(r'```.*?```', '', text, flags=re.S)
    return {_slug(h) for h in re.findall(r'^#+\s+(.+?)\s*$', text, flags=re.M)}


def test_code_points_at_docs_pages_that_exist():
    """Comments and docstrings say ``docs/<page>.md`` (or ``...md#heading``), not README
    section titles; each named page and heading exists."""
    ref = re.compile(r'docs/([\w/.-]+?\.md)(#[\w-]+)?')
    bad, count = [], 0
    for top in ('crevdet', 'tools', 'configs', 'tests', 'setup.py'):
        paths = [osp.join(ROOT, top)] if top.endswith('.py') else [
            osp.join(folder, f) for folder, _, files in os.walk(osp.join(ROOT, top))
            for f in files if f.endswith(('.py', '.sh', '.md'))]
        for path in paths:
            if '.mim' in path:
                continue
            for page, anchor in ref.findall(open(path, encoding='utf-8').read()):
                count += 1
                rel = 'docs/' + page
                if not osp.isfile(osp.join(ROOT, rel)):
                    bad.append(f'{osp.relpath(path, ROOT)}: {rel} does not exist')
                elif anchor and anchor[1:] not in _anchors(rel):
                    bad.append(f'{osp.relpath(path, ROOT)}: {rel} has no heading {anchor}')
    assert count > 0 and not bad, '\n'.join(bad)
