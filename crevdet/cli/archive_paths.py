"""Where an archive member may be written: inside the output folder, and never through a link.

An archive is data from whoever made it. A member named ``a/../../x`` or ``/etc/x`` ("zip slip"),
a member that is itself a symbolic link, or a path that runs through a link this tool (or the
user) placed in the output folder - e.g. a drive folder linked to the user's own copy - would
make an extraction write outside its target. :func:`member_target` refuses each of these with
an error naming the archive and the member.
"""
import os
import os.path as osp
import stat
import zipfile
from typing import Iterable


class UnsafeArchiveMember(ValueError):
    """An archive member that would be written outside its target folder."""


def zip_member_is_link(member: zipfile.ZipInfo) -> bool:
    """Whether a zip member is a symbolic link (Unix mode stored in ``external_attr``)."""
    return stat.S_ISLNK(member.external_attr >> 16)


def check_member_name(archive: str, name: str) -> None:
    """Refuse a member name that is absolute or climbs out (``..``) of the folder it is
    extracted to."""
    norm = name.replace('\\', '/')
    if norm.startswith('/') or (len(norm) > 1 and norm[1] == ':'):
        raise UnsafeArchiveMember(f'{archive}: member {name!r} is an absolute path; refusing to '
                                  'extract it (an archive only writes inside --out-root)')
    if '..' in norm.split('/'):
        raise UnsafeArchiveMember(f'{archive}: member {name!r} climbs out of its folder (..); '
                                  'refusing to extract it (an archive only writes inside '
                                  '--out-root)')


def links_on_path(root: str, path: str) -> Iterable[str]:
    """The existing symbolic links among ``path``'s folders below ``root`` and ``path`` itself
    (``root`` itself may be a link: the user chose it)."""
    rel = osp.relpath(osp.abspath(path), osp.abspath(root))
    cur = osp.abspath(root)
    for part in rel.split(os.sep):
        cur = osp.join(cur, part)
        if osp.islink(cur):
            yield cur
        elif not osp.lexists(cur):
            return


def member_target(archive: str, member: zipfile.ZipInfo, root: str, dst: str) -> str:
    """``dst`` (where ``member`` of ``archive`` is to be extracted, under ``root``), checked:
    the member is no link, its name neither absolute nor climbing (``..``), ``dst`` resolves
    inside ``root`` and no folder on the way is a link (writing through it would write into
    whatever it points to, e.g. a user's source folder). Raises :class:`UnsafeArchiveMember`."""
    if zip_member_is_link(member):
        raise UnsafeArchiveMember(f'{archive}: member {member.filename!r} is a symbolic link; '
                                  'refusing to extract links (they could point anywhere)')
    check_member_name(archive, member.filename)
    link = next(iter(links_on_path(root, dst)), None)
    if link is not None:
        raise UnsafeArchiveMember(
            f'{archive}: member {member.filename!r} would be written through the link {link} '
            f'(-> {osp.realpath(link)}) into a folder this tool does not own (a source folder '
            'an earlier run linked?); not writing there. Use a fresh --out-root, or pass either '
            'the archive or the extracted folder, not both')
    real_root = osp.realpath(root)
    if not osp.realpath(dst).startswith(real_root + os.sep):
        raise UnsafeArchiveMember(f'{archive}: member {member.filename!r} would be written to '
                                  f'{osp.realpath(dst)}, outside {root}; refusing to extract it')
    return dst
