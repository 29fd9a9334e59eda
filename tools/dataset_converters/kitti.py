"""From a KITTI download to the layout crevdet's configs read, checked for completeness.

    python tools/dataset_converters/kitti.py --object SRC [SRC ...] [--raw SRC [SRC ...]]
        [--out-root data] [--copy] [--subset] [--dry-run]

``--object``: the object benchmark's archives (``data_object_image_2.zip``, ``..._label_2.zip``,
``..._prev_2.zip``, ``..._calib.zip``) or the folders they were extracted to (any folder holding
``training/<image_2|label_2|prev_2|calib>``). ``--raw``: raw-data drive archives
(``<date>_drive_<dddd>_sync.zip``) or extracted folders (a ``<date>`` folder, its parent, or a
drive folder). Builds::

    <out-root>/kitti/object/training/{image_2,label_2,prev_2,calib}   (kitti_det.py's layout)
    <out-root>/kitti/object/ImageSets/{train,val,trainval}.txt  the standard 3,712 / 3,769 split
    <out-root>/kitti_raw/<date>/<date>_drive_<dddd>_sync/...    (kitti_raw.py's layout)

Folders are linked (symlinks; ``--copy`` copies), archives are extracted (the only copy made).
Nothing existing is deleted or overwritten: a path that already exists must be the same link or
an identical file, otherwise the tool stops. Archives are data from their maker: a member that is
a link, absolute, climbs out (``..``), or would be written through a link (e.g. into a drive
folder an earlier run linked to the user's own copy) is refused, so nothing is ever written
outside ``--out-root`` (crevdet/cli/archive_paths.py). Then it checks that every split id has
its image, label and three ``prev_2`` frames of the target's size, and that every raw drive has
consecutive frames of one size; prints a summary table and writes the missing files to
``<out-root>/kitti/object/missing_files.txt``. Exit status 1 when something required is missing.
``--subset``: a partial download (e.g. a sample): the split files keep only the ids whose image
is present. ``--dry-run``: report what would be done and checked, write nothing.
"""
import argparse
import os
import os.path as osp
import re
import shutil
import sys
import zipfile
from collections import defaultdict


SPLITS = osp.join(osp.dirname(osp.abspath(__file__)), 'kitti_splits')
KINDS = ('image_2', 'label_2', 'prev_2', 'calib')
DRIVE_RE = re.compile(r'^(\d{4}_\d{2}_\d{2})_drive_\d{4}_sync$')


def open_zip(path: str) -> zipfile.ZipFile:
    """``path`` as a zip archive, or an exit naming it when it is not a readable one."""
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError) as e:
        raise SystemExit(f'error: {path} is not a readable zip archive ({e}): a truncated or '
                         'corrupt download? KITTI\'s archives are zip files; download it again')


def safe_members(path: str) -> list:
    """Every member of the zip ``path``; an exit naming it and the member when any member is
    a link, absolute or climbing (``..``), even one this tool would not extract: such an archive
    was crafted, not downloaded from KITTI."""
    from crevdet.cli.archive_paths import (UnsafeArchiveMember, check_member_name,
                                             zip_member_is_link)
    members = open_zip(path).infolist()
    try:
        for m in members:
            if zip_member_is_link(m):
                raise UnsafeArchiveMember(f'{path}: member {m.filename!r} is a symbolic link; '
                                          'refusing to extract links (they could point anywhere)')
            check_member_name(path, m.filename)
    except UnsafeArchiveMember as e:
        raise SystemExit(f'error: {e}')
    return members


def check_source(src: str, flag: str) -> bool:
    """Whether ``src`` is a zip archive (else a folder); an exit for anything else."""
    if not osp.exists(src):
        raise SystemExit(f'error: {flag} {src} does not exist')
    if osp.isdir(src):
        return False
    if zipfile.is_zipfile(src):
        return True
    raise SystemExit(f'error: {flag} {src} is a file but not a zip archive (a truncated or '
                     'corrupt download, or another archive format?); pass KITTI\'s .zip files '
                     'or the folders they were extracted to')


class Plan:
    """Collects the file operations; ``run`` carries them out unless dry."""

    def __init__(self, dry: bool, out_root: str = '.') -> None:
        self.dry, self.links, self.extracts, self.out_root = dry, [], [], out_root

    def link(self, src: str, dst: str, copy: bool) -> None:
        src = osp.abspath(src)
        if osp.lexists(dst):
            if osp.islink(dst) and osp.realpath(dst) == osp.realpath(src):
                return  # done by an earlier run
            raise SystemExit(f'error: {dst} exists and is not a link to {src}; not overwriting it '
                             '(move it away or choose another --out-root)')
        self.links.append((src, dst, copy))

    def _safe_target(self, archive: str, member: zipfile.ZipInfo, dst: str) -> str:
        from crevdet.cli.archive_paths import UnsafeArchiveMember, member_target
        try:
            return member_target(archive, member, self.out_root, dst)
        except UnsafeArchiveMember as e:
            raise SystemExit(f'error: {e}')

    def extract(self, archive: str, member: zipfile.ZipInfo, dst: str) -> None:
        self._safe_target(archive, member, dst)
        for _, linked, _ in self.links:  # this run links a folder the member would go into
            if osp.abspath(dst).startswith(osp.abspath(linked) + os.sep):
                raise SystemExit(f'error: {archive}: {member.filename} would be extracted into '
                                 f'{linked}, which this run links to a source folder; pass '
                                 'either the archive or the extracted folder, not both')
        if osp.lexists(dst) and not osp.isfile(dst):
            raise SystemExit(f'error: {dst} exists and is not a file; not overwriting it')
        if osp.exists(dst):
            if osp.getsize(dst) == member.file_size:
                return
            raise SystemExit(f'error: {dst} exists with another size than {member.filename} in '
                             f'{archive}; not overwriting it')
        self.extracts.append((archive, member, dst))

    def run(self) -> None:
        from tqdm import tqdm
        if self.dry:
            return
        for src, dst, copy in self.links:
            os.makedirs(osp.dirname(dst), exist_ok=True)
            if copy:
                (shutil.copytree if osp.isdir(src) else shutil.copy2)(src, dst)
            else:
                os.symlink(src, dst)
        by_archive = defaultdict(list)
        for archive, member, dst in self.extracts:
            by_archive[archive].append((member, dst))
        for archive, items in by_archive.items():
            with open_zip(archive) as z:
                for member, dst in tqdm(items, desc=f'extracting {osp.basename(archive)}',
                                        unit='file'):
                    # checked again now that this run's links exist
                    self._safe_target(archive, member, dst)
                    os.makedirs(osp.dirname(dst), exist_ok=True)
                    try:
                        with z.open(member) as fin, open(dst, 'xb') as fout:
                            shutil.copyfileobj(fin, fout)
                    except (zipfile.BadZipFile, OSError, EOFError) as e:
                        if isinstance(e, FileExistsError):
                            raise SystemExit(f'error: {dst} appeared while extracting; not '
                                             'overwriting it')
                        os.remove(dst)  # the partial file this run just created
                        raise SystemExit(f'error: {archive}: member {member.filename} does not '
                                         f'extract ({e}): a truncated or corrupt download? '
                                         'Download it again')


def plan_object(sources, obj_root: str, plan: Plan, copy: bool) -> dict:
    """Where each kind (image_2, ...) comes from; fills ``plan``. Returns kind -> source."""
    found = {}

    def claim(kind, where):
        if kind in found:
            raise SystemExit(f'error: training/{kind} found twice: in {found[kind]} and {where}; '
                             'pass each part once')
        found[kind] = where
    for src in sources:
        if check_source(src, '--object'):
            members = defaultdict(list)
            for m in safe_members(src):
                parts = m.filename.split('/')
                if len(parts) == 3 and parts[0] == 'training' and parts[1] in KINDS and parts[2]:
                    members[parts[1]].append(m)
            if not members:
                raise SystemExit(f'error: {src} holds no training/<{"|".join(KINDS)}>/ files; is '
                                 'it a KITTI object archive?')
            for kind, ms in members.items():
                claim(kind, src)
                for m in ms:
                    plan.extract(src, m, osp.join(obj_root, m.filename))
            continue
        root = src if osp.basename(osp.normpath(src)) == 'training' else osp.join(src, 'training')
        kinds = [k for k in KINDS if osp.isdir(osp.join(root, k))]
        if not kinds:
            raise SystemExit(f'error: {src} holds no training/<{"|".join(KINDS)}> folder; expected '
                             'the folder a KITTI object archive was extracted to')
        for kind in kinds:
            claim(kind, osp.join(root, kind))
            plan.link(osp.join(root, kind), osp.join(obj_root, 'training', kind), copy)
    return found


def plan_raw(sources, raw_root: str, plan: Plan, copy: bool) -> list:
    """Drive folders (or archives) to place under ``raw_root``; returns their drive names."""
    drives = []
    for src in sources:
        if check_source(src, '--raw'):
            members = [(m, m.filename.split('/')) for m in safe_members(src)
                       if not m.is_dir()]
            members = [(m, parts[1]) for m, parts in members
                       if len(parts) > 2 and DRIVE_RE.match(parts[1])]
            if not members:
                raise SystemExit(f'error: {src} holds no <date>/<date>_drive_<dddd>_sync/ files; '
                                 'is it a KITTI raw drive archive?')
            for m, _ in members:
                plan.extract(src, m, osp.join(raw_root, m.filename))
            drives += [(d, src) for d in sorted({d for _, d in members})]
            continue
        name = osp.basename(osp.normpath(src))
        if DRIVE_RE.match(name):
            candidates = [src]
        else:
            candidates = [osp.join(d, x) for d in [src] + [osp.join(src, y) for y in
                                                           sorted(os.listdir(src))]
                          if osp.isdir(d) for x in sorted(os.listdir(d))
                          if DRIVE_RE.match(x) and osp.isdir(osp.join(d, x))]
        if not candidates:
            raise SystemExit(f'error: no <date>_drive_<dddd>_sync folder in {src}')
        for d in candidates:
            drive = osp.basename(osp.normpath(d))
            plan.link(d, osp.join(raw_root, DRIVE_RE.match(drive).group(1), drive), copy)
            drives.append((drive, d))
    return drives


def read_split(name: str):
    with open(osp.join(SPLITS, f'{name}.txt')) as f:
        return [ln.strip() for ln in f if ln.strip()]


def check_object(obj_root: str, kinds: dict, ids, dry: bool):
    """Rows of the summary table and the list of missing / wrong files."""
    from tqdm import tqdm

    from crevdet.datasets.kitti_det import png_size

    in_zip = {k: set(zipfile.ZipFile(v).namelist()) for k, v in kinds.items()
              if dry and zipfile.is_zipfile(v)}

    def where(kind, name):  # in a dry run the layout does not exist yet: look at the sources
        src = kinds.get(kind)
        if src is None:
            return None
        if kind in in_zip:  # not extracted: present if the archive has it (size unknown)
            return 'in-archive' if f'training/{kind}/{name}' in in_zip[kind] else None
        return osp.join(src if dry else osp.join(obj_root, 'training', kind), name)

    def isfile(p):
        return p == 'in-archive' or bool(p and osp.isfile(p))

    def size_of(p):
        return (0, 0) if p == 'in-archive' else (png_size(p) if isfile(p) else None)
    counts = {k: [0, 0] for k in ('image_2', 'label_2', 'prev_2', 'calib')}
    problems = []
    for i in tqdm(ids, desc='checking object files', unit='id'):
        size = size_of(where('image_2', f'{i}.png'))
        counts['image_2'][size is not None] += 1
        if size is None:
            problems.append(f'training/image_2/{i}.png')
        ok = isfile(where('label_2', f'{i}.txt'))
        counts['label_2'][ok] += 1
        if not ok:
            problems.append(f'training/label_2/{i}.txt')
        for s in ('01', '02', '03'):
            psize = size_of(where('prev_2', f'{i}_{s}.png'))
            good = psize is not None and (size is None or psize == size
                                          or (0, 0) in (psize, size))
            counts['prev_2'][good] += 1
            if not good:
                problems.append(f'training/prev_2/{i}_{s}.png' + (
                    f' (size {psize[0]}x{psize[1]}, image {size[0]}x{size[1]})' if psize else ''))
        if 'calib' in kinds:
            c = isfile(where('calib', f'{i}.txt'))
            counts['calib'][c] += 1
            if not c:
                problems.append(f'training/calib/{i}.txt')
    rows = [(k, len(ids) * (3 if k == 'prev_2' else 1), v[1], v[0])
            for k, v in counts.items() if k != 'calib' or 'calib' in kinds]
    return rows, problems


def check_raw(raw_root: str, drives, dry: bool):
    from crevdet.datasets.base_video import missing_frame_numbers
    from crevdet.datasets.kitti_det import png_size
    rows, problems = [], []
    for drive, src in drives:
        if dry and zipfile.is_zipfile(src):  # not extracted yet: count the archive's frames
            prefix = f'{drive[:10]}/{drive}/image_02/data/'
            with zipfile.ZipFile(src) as z:
                files = sorted(n[len(prefix):] for n in z.namelist()
                               if n.startswith(prefix) and n.endswith('.png'))
            sizes = set()  # unknown until extracted
        else:
            folder = src if dry else osp.join(raw_root, drive[:10], drive)
            frames_dir = osp.join(folder, 'image_02', 'data')
            files = sorted(f for f in os.listdir(frames_dir) if f.endswith('.png')) \
                if osp.isdir(frames_dir) else []
            sizes = {png_size(osp.join(frames_dir, f)) for f in files}
        gaps = missing_frame_numbers(files)
        rows.append((drive, len(files), len(gaps), ', '.join(f'{s[0]}x{s[1]}' for s in sizes
                                                              if s) or '-'))
        if not files:
            problems.append(f'{drive}: no image_02/data/*.png frames')
        problems += [f'{drive}/image_02/data/{n:010d}.png' for n in gaps]
        if len(sizes) > 1:
            problems.append(f'{drive}: frames of {len(sizes)} different sizes')
    return rows, problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--object', nargs='+', default=[], help='object archives or folders')
    parser.add_argument('--raw', nargs='+', default=[], help='raw drive archives or folders')
    parser.add_argument('--out-root', default='data', help='where kitti/ and kitti_raw/ go')
    parser.add_argument('--copy', action='store_true', help='copy folders instead of linking')
    parser.add_argument('--subset', action='store_true',
                        help='split files keep only the ids whose image is present')
    parser.add_argument('--dry-run', action='store_true', help='write nothing')
    args = parser.parse_args(argv)
    if not args.object and not args.raw:
        parser.error('give --object and/or --raw')
    if osp.exists(args.out_root) and not osp.isdir(args.out_root):
        raise SystemExit(f'error: --out-root {args.out_root} is a file, not a folder')
    # every folder the tool makes or writes into: a file there stops it now, not half-way
    for sub in ('kitti', 'kitti/object', 'kitti/object/training', 'kitti/object/ImageSets',
                'kitti_raw'):
        p = osp.join(args.out_root, sub)
        if osp.exists(p) and not osp.isdir(p):
            raise SystemExit(f'error: {p} is a file; --out-root needs a folder there')
    obj_root = osp.join(args.out_root, 'kitti', 'object')
    raw_root = osp.join(args.out_root, 'kitti_raw')
    plan = Plan(args.dry_run, args.out_root)
    kinds = plan_object(args.object, obj_root, plan, args.copy) if args.object else {}
    drives = plan_raw(args.raw, raw_root, plan, args.copy) if args.raw else []
    splits = {s: read_split(s) for s in ('train', 'val')}
    if args.subset:
        src = kinds.get('image_2')
        if src is None:
            raise SystemExit('error: --subset needs the image_2 part in --object')
        names = [m.split('/')[-1] for m in zipfile.ZipFile(src).namelist()
                 if m.startswith('training/image_2/')] if zipfile.is_zipfile(src) else \
            os.listdir(src)
        present = {osp.splitext(n)[0] for n in names if n.endswith('.png')}
        splits = {k: [i for i in v if i in present] for k, v in splits.items()}
    splits['trainval'] = sorted(splits['train'] + splits['val'])
    for name, ids in splits.items() if args.object else []:
        dst = osp.join(obj_root, 'ImageSets', f'{name}.txt')
        text = '\n'.join(ids) + '\n'
        if osp.exists(dst) and open(dst).read() != text:
            raise SystemExit(f'error: {dst} exists with other ids; not overwriting it')
    print(f'{"would " if args.dry_run else ""}link {len(plan.links)} folder(s), extract '
          f'{len(plan.extracts)} file(s) from archives')
    plan.run()
    if args.object and not args.dry_run:
        os.makedirs(osp.join(obj_root, 'ImageSets'), exist_ok=True)
        for name, ids in splits.items():
            dst = osp.join(obj_root, 'ImageSets', f'{name}.txt')
            if not osp.exists(dst):
                with open(dst, 'x') as f:
                    f.write('\n'.join(ids) + '\n')
    problems, missing_required = [], 0
    if args.object:
        rows, obj_problems = check_object(obj_root, kinds, splits['trainval'], args.dry_run)
        print(f'\nKITTI object, {len(splits["train"])} train + {len(splits["val"])} val ids '
              f'({obj_root})\n| files | expected | found | missing or wrong |\n|---|---|---|---|')
        for kind, exp, ok, bad in rows:
            print(f'| {kind} | {exp} | {ok} | {bad} |')
        if 'calib' not in kinds:
            print('| calib | - | not given (not needed for 2D detection) | - |')
        problems += obj_problems
        missing_required = sum(1 for p in obj_problems if '/calib/' not in p)
    if drives:
        rows, raw_problems = check_raw(raw_root, drives, args.dry_run)
        print(f'\nKITTI raw ({raw_root})\n| drive | frames | gaps | frame size |\n'
              '|---|---|---|---|')
        for r in rows:
            print('| ' + ' | '.join(str(v) for v in r) + ' |')
        problems += raw_problems
        missing_required += len(raw_problems)
    if problems:
        print(f'\n{len(problems)} missing or wrong file(s), e.g.:\n  ' +
              '\n  '.join(problems[:10]))
        if args.object and not args.dry_run:
            out = osp.join(obj_root, 'missing_files.txt')
            with open(out, 'w') as f:
                f.write('\n'.join(problems) + '\n')
            print(f'full list: {out}')
        if any('/prev_2/' in p for p in problems):
            print("without prev_2 frames, detection configs can repeat the target frame: "
                  "--cfg-options train_dataloader.dataset.missing_prev=repeat (and val/test)")
    else:
        print('\ncomplete: every file the configs read is present')
    if missing_required:
        sys.exit(1)


if __name__ == '__main__':
    main()
