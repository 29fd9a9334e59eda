"""Kernel launches of a piece of PyTorch code, counted on any device with ``torch.profiler``.

A GPU training step of a small recurrent model is bound by launches, not arithmetic: every
eager aten op is at least one kernel launch (plus Python and dispatcher overhead), while
``torch.compile`` fuses runs of elementwise ops into one generated kernel. The count is
deterministic, so it is measured on CPU and predicts the GPU's launch-bound time.

Counted: every aten op called from outside another aten op (an op's internal calls, e.g.
``conv2d -> convolution -> mkldnn_convolution``, are one launch), except ops that only make
views or metadata and launch nothing; plus every kernel ``torch.compile`` generated (recorded
when ``torch._inductor.config.cpp.enable_kernel_profile`` was set before compiling, see
:func:`profile_generated_kernels`; Triton kernels on CUDA are recorded by the profiler itself).
"""
import collections
import contextlib
import re
from typing import Callable, Counter, Iterator, Tuple

# ops that return a view / metadata or allocate without writing: no kernel
NO_KERNEL = {
    'aten::view', 'aten::_unsafe_view', 'aten::reshape', 'aten::_reshape_alias',
    'aten::as_strided', 'aten::select', 'aten::slice', 'aten::narrow', 'aten::chunk',
    'aten::split', 'aten::split_with_sizes', 'aten::unbind', 'aten::t', 'aten::transpose',
    'aten::permute', 'aten::expand', 'aten::expand_as', 'aten::unsqueeze', 'aten::squeeze',
    'aten::detach', 'aten::detach_', 'aten::alias', 'aten::empty', 'aten::empty_like',
    'aten::empty_strided', 'aten::new_empty_strided', 'aten::new_empty', 'aten::lift_fresh',
    'aten::resolve_conj', 'aten::resolve_neg', 'aten::unfold', 'aten::broadcast_tensors',
    'aten::to', 'aten::_to_copy_noop', 'aten::flatten', 'aten::unflatten', 'aten::view_as',
    'aten::contiguous', 'aten::result_type', 'aten::is_nonzero', 'aten::item',
    'aten::_local_scalar_dense', 'aten::set_', 'aten::resize_', 'aten::size', 'aten::stride',
}
# inductor's generated kernels, as the profiler names them (``graph_3_cpp_fused_add_mul_0``)
GENERATED = re.compile(r'^(graph_\d+_)?(cpp_fused|cpp_|triton_)')


def _is_generated(name: str) -> bool:
    return GENERATED.match(name) is not None


def _is_launch(name: str) -> bool:
    return _is_generated(name) or (name.startswith('aten::') and name not in NO_KERNEL)


def _inside_op(event) -> bool:
    p = event.cpu_parent
    while p is not None:
        if p.name.startswith('aten::') or _is_generated(p.name):
            return True
        p = p.cpu_parent
    return False


def count_kernel_launches(fn: Callable[[], object]) -> Tuple[int, Counter]:
    """Run ``fn`` once under the profiler: ``(launches, launches per op name)``. A contiguous()
    or reshape() that copies is counted through the copy it calls."""
    from torch.profiler import ProfilerActivity, profile
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        fn()
    per_op: Counter = collections.Counter()
    for e in prof.events():
        if _inside_op(e):
            continue
        if _is_launch(e.name):
            per_op[e.name] += 1
        elif e.name in NO_KERNEL:  # a view-like op that copied: count its copies
            per_op.update(c.name for c in e.cpu_children if _is_launch(c.name))
    return sum(per_op.values()), per_op


@contextlib.contextmanager
def profile_generated_kernels() -> Iterator[None]:
    """Models compiled inside this context record each generated C++ kernel in the profiler
    (inductor's ``cpp.enable_kernel_profile``; a small cost per kernel call)."""
    import torch._inductor.config as inductor_config
    old = inductor_config.cpp.enable_kernel_profile
    inductor_config.cpp.enable_kernel_profile = True
    try:
        yield
    finally:
        inductor_config.cpp.enable_kernel_profile = old
