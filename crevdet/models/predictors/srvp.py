"""SRVP: Stochastic Latent Residual Video Prediction (Franceschi et al., ICML 2020).

A state-space model on frame encodings ``x~_t = h(x_t)`` (DCGAN encoder, ``nh`` dims), as the
authors' code (edouardelasalles/srvp) builds it::

    content   w = tanh(W sum_{i in C} relu(V x~_i))   C: ``n_content`` frames; training: random
                 frames of the whole clip, per sample; prediction: the last observed ones
    initial   y_1 ~ q(y_1 | x~_1..x~_k) = N(mu, sigma)     k = ``n_inf``, prior N(0, I)
    per step  z_{t+1} ~ q(z | x~_1..x~_{t+1})  (LSTM over encodings; training / observed frames)
              z_{t+1} ~ p(z | y_t) = N(mu(y_t), sigma(y_t))  (learned prior; future frames)
    dynamics  y_{t+1} = y_t + dt * f(y_t, z_{t+1}), repeated 1/dt times per frame (Euler)
    decoder   x_t ~ N(g(y_t, w), nu I); with ``skip`` also the encoder maps of one frame
                 (training: a random frame of the clip, per sample; prediction: the last observed)
                 ``likelihood='bernoulli'``: x_t ~ Bernoulli(g(y_t, w)) per pixel instead

Trained by the ELBO: ``loss_rec`` (the NLL, up to a constant for the Gaussian, per frame),
``loss_kl_z`` (KL of the posterior z against the learned prior, per frame), ``loss_kl_y``
(KL of y_1 against N(0, I), per frame) and ``loss_l2_res``, the authors' penalty
``l2_res * ||dt f||_2`` on every residual update (per frame). Initialisation as theirs: encoder
and decoder weights N(0, 0.02) (norm scales N(1, 0.02)), dynamics orthogonal with gain
``res_gain``. With ``dt < 1`` :meth:`sample` can also decode the intermediate Euler states: a
higher frame rate than the model was trained at.

Still differing from the authors' DCGAN: GroupNorm by default (``norm='bn'`` is theirs), a
norm on the first encoder conv, and conv biases.

Why a Bernoulli option (not the authors'; they use the Gaussian of scale 1 on SMMNIST): the
decoder ends in a sigmoid, and under a Gaussian NLL the pull on a pixel whose target is 0 is
``p * p * (1 - p) / nu``, which vanishes as ``p -> 0``: early in training the background stays a
faint haze that SSIM punishes hard. The Bernoulli NLL (binary cross-entropy on the logits; any
target in [0, 1]) pulls by ``p``. docs/benchmarks/stochastic.md measures both.
"""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from crevdet.models.layers.dcgan import DCGANDecoder, DCGANEncoder
from crevdet.registry import MODELS
from .stochastic_predictor import StochasticVideoPredictor


def mlp(n_in: int, n_out: int, hidden: int, layers: int) -> nn.Sequential:
    """``layers`` linear layers with ReLU between them (SRVP's default MLP: 4 x 512)."""
    dims = [n_in] + [hidden] * (layers - 1) + [n_out]
    mods: List[nn.Module] = []
    for i in range(layers):
        mods.append(nn.Linear(dims[i], dims[i + 1]))
        if i < layers - 1:
            mods.append(nn.ReLU(inplace=True))
    return nn.Sequential(*mods)


def gaussian(params: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """Split ``(..., 2n)`` into mean and a positive standard deviation (softplus)."""
    mu, s = params.chunk(2, -1)
    return mu, F.softplus(s) + 1e-4


def kl_normal(mu_q, sd_q, mu_p, sd_p) -> torch.Tensor:
    """KL(N(mu_q, sd_q) || N(mu_p, sd_p)), summed over the last axis."""
    return (torch.log(sd_p / sd_q) + (sd_q ** 2 + (mu_q - mu_p) ** 2) / (2 * sd_p ** 2)
            - 0.5).sum(-1)


@MODELS.register_module()
class SRVP(StochasticVideoPredictor):
    """Args (besides :class:`StochasticVideoPredictor`'s; ``clip_len`` is 1). Defaults are the
    authors' (their ``args.py``); ``configs/srvp_smmnist.py`` is their stochastic Moving MNIST
    command line.
        frame_size: ``(H, W)`` of the training frames (divisible by 16; the encoder's last conv
            and the decoder's first are sized for it).
        nf / nh: DCGAN filters and encoding size. ny / nz: state and per-step noise sizes.
        n_inf: frames y_1 is inferred from (<= ``n_past``). n_content: frames of w (default
            ``n_inf``, as the authors' single ``nt_inf``).
        inf_hidden / inf_layers: the inference MLPs (y_1), the z-posterior LSTM and the
            content size. mlp_hidden / mlp_layers: the dynamics f and the prior p(z | y).
        dt: Euler step (1/dt must be an integer: steps per frame).
        nu: decoder variance (Gaussian). likelihood: ``'gaussian'`` (the authors') or
            ``'bernoulli'`` (frames in [0, 1]; see above). beta_z / beta_y: KL weights.
            l2_res: residual penalty weight.
        res_gain: orthogonal-init gain of f. skip: decoder skip connections (see above).
        norm: the DCGAN networks' norm (``'gn'``, ``'bn'`` or ``'none'``).
        ``deterministic`` takes the prior (and posterior) means.
    """

    def __init__(self, in_channels: int = 1, n_past: int = 5, n_future: int = 10,
                 frame_size: Sequence[int] = (64, 64), nf: int = 64, nh: int = 128,
                 ny: int = 20, nz: int = 20, n_inf: int = 5, n_content: Optional[int] = None,
                 inf_hidden: int = 256, inf_layers: int = 3, mlp_hidden: int = 512,
                 mlp_layers: int = 4, dt: float = 1.0, nu: float = 1.0,
                 likelihood: str = 'gaussian', beta_z: float = 1.0,
                 beta_y: float = 1.0, l2_res: float = 1.0, res_gain: float = 1.41,
                 skip: bool = False, norm: str = 'gn', num_samples: int = 5,
                 deterministic: bool = False, loss_weight: float = 1.0,
                 data_preprocessor: Optional[dict] = None, init_cfg: Optional[dict] = None
                 ) -> None:
        super().__init__(in_channels, n_past, n_future, 1, True, loss_weight, data_preprocessor,
                         init_cfg, num_samples=num_samples, deterministic=deterministic)
        n_content = n_inf if n_content is None else n_content
        if not 1 <= n_inf <= n_past or not 1 <= n_content <= n_past:
            raise ValueError(f'n_inf={n_inf} and n_content={n_content} must be in 1..n_past='
                             f'{n_past}')
        steps = 1.0 / dt
        if dt <= 0 or dt > 1 or abs(steps - round(steps)) > 1e-6:
            raise ValueError(f'dt must be 1/n for an integer n >= 1, got {dt}')
        if likelihood not in ('gaussian', 'bernoulli'):
            raise ValueError(f"likelihood must be 'gaussian' or 'bernoulli', got {likelihood!r}")
        if l2_res < 0:
            raise ValueError(f'l2_res must be >= 0, got {l2_res}')
        self.frame_size = tuple(frame_size)
        self.n_inf, self.n_content, self.ny, self.nz = n_inf, n_content, ny, nz
        self.dt, self.substeps = dt, int(round(steps))
        self.nu, self.beta_z, self.beta_y, self.l2_res = nu, beta_z, beta_y, l2_res
        self.likelihood = likelihood
        self.skip = skip
        self.encoder = DCGANEncoder(in_channels, nh, nf, frame_size, norm)
        self.decoder = DCGANDecoder(in_channels, ny + inf_hidden, nf, frame_size, skip, norm)
        # permutation-invariant content: per-frame projection, sum, then Linear + tanh
        self.w_proj = nn.Sequential(nn.Linear(nh, inf_hidden), nn.ReLU(inplace=True))
        self.w_inf = nn.Sequential(nn.Linear(inf_hidden, inf_hidden), nn.Tanh())
        self.q_y = mlp(nh * n_inf, 2 * ny, inf_hidden, inf_layers)
        self.q_z_rnn = nn.LSTM(nh, inf_hidden, batch_first=True)
        self.q_z = nn.Linear(inf_hidden, 2 * nz)
        self.p_z = mlp(ny, 2 * nz, mlp_hidden, mlp_layers)
        self.dynamics = mlp(ny + nz, ny, mlp_hidden, mlp_layers)
        self.feat_channels = self.encoder.stage_channels
        self.feat_strides = self.encoder.stage_strides
        self._init_as_authors(res_gain)

    def _init_as_authors(self, res_gain: float) -> None:
        def encdec(m: nn.Module) -> None:
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
                nn.init.normal_(m.weight, 0.0, 0.02)
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.normal_(m.weight, 1.0, 0.02)
            else:
                return
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        self.encoder.apply(encdec)
        self.decoder.apply(encdec)
        for m in self.dynamics.modules():
            if isinstance(m, nn.Linear):
                nn.init.orthogonal_(m.weight, gain=res_gain)
                nn.init.zeros_(m.bias)

    # ------------------------------------------------------------------ pieces
    def encode(self, frames: torch.Tensor) -> Tuple[torch.Tensor, List[torch.Tensor]]:
        """``(B, T, C, H, W)`` -> encodings ``(B, T, nh)`` and skips, each ``(B, T, c, h, w)``."""
        b, t = frames.shape[:2]
        if tuple(frames.shape[-2:]) != self.frame_size:
            raise ValueError(f'SRVP was built for frame_size={self.frame_size}, got frames of '
                             f'{tuple(frames.shape[-2:])}')
        h, skips = self.encoder(frames.flatten(0, 1))
        return h.view(b, t, -1), [s.view((b, t) + s.shape[1:]) for s in skips]

    def content_of(self, h: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
        """Content ``w (B, inf_hidden)`` of the frames ``idx`` ``(B, n_content)`` (per sample) of
        encodings ``h (B, T, nh)``: projected per frame, summed, Linear + tanh."""
        picked = h.gather(1, idx[:, :, None].expand(-1, -1, h.shape[-1]))
        return self.w_inf(self.w_proj(picked).sum(1))

    def skips_of(self, skips: List[torch.Tensor], idx: torch.Tensor) -> List[torch.Tensor]:
        """The decoder's skip maps: those of frame ``idx[b]`` of each sample (none without
        ``skip``)."""
        if not self.skip:
            return []
        rows = torch.arange(idx.shape[0], device=idx.device)
        return [s[rows, idx] for s in skips]

    def posteriors(self, h: torch.Tensor):
        """From encodings ``(B, T, nh)``: q(y_1) as ``(mu, sd)`` ``(B, ny)``, and q(z_t | x_1..t)
        for every t as ``(mu, sd)`` ``(B, T, nz)`` (an LSTM over the encodings)."""
        q_y = gaussian(self.q_y(h[:, :self.n_inf].flatten(1)))
        return q_y, gaussian(self.q_z(self.q_z_rnn(h)[0]))

    def step(self, y: torch.Tensor, z: torch.Tensor, keep: bool = False):
        """One frame interval of residual dynamics: the new state and the L2 norms ``(B,)`` of
        its 1/dt residual updates, summed; with ``keep`` also the intermediate states."""
        mids, res_norm = [], 0.0
        for _ in range(self.substeps):
            res = self.dt * self.dynamics(torch.cat([y, z], 1))
            y = y + res
            res_norm = res_norm + res.norm(dim=1)
            mids.append(y)
        return (y, res_norm, mids) if keep else (y, res_norm)

    def decode(self, ys: torch.Tensor, w: torch.Tensor, skips: List[torch.Tensor],
               logits: bool = False) -> torch.Tensor:
        """States ``(B, S, ny)`` -> frames ``(B, S, C, H, W)`` (one batched decoder call; with
        ``logits`` before the sigmoid)."""
        b, s = ys.shape[:2]
        rep = lambda t: t.unsqueeze(1).expand((b, s) + t.shape[1:]).flatten(0, 1)  # noqa: E731
        x = self.decoder(torch.cat([ys.flatten(0, 1), rep(w)], 1), [rep(k) for k in skips],
                         logits=logits)
        return x.view((b, s) + x.shape[1:])

    # ------------------------------------------------------------------ training
    def loss(self, inputs: torch.Tensor, data_samples: Optional[list] = None
             ) -> Dict[str, torch.Tensor]:
        """Negative ELBO of the whole clip, per frame (see the module docstring)."""
        n_total = self.n_past + self.n_future
        self._check_frames(inputs, n_total)
        x = inputs[:, :n_total]
        b, t = x.shape[:2]
        h, skips = self.encode(x)
        # the authors' training-time conditioning: per sample, random frames of the whole clip
        idx = torch.rand(b, t, device=x.device).argsort(1)[:, :self.n_content]
        w = self.content_of(h, idx)
        wskips = self.skips_of(skips, torch.randint(t, (b,), device=x.device))
        (mu_y, sd_y), q_z = self.posteriors(h)
        y = mu_y + sd_y * torch.randn_like(sd_y)
        ys, kl_z, l2 = [y], 0.0, 0.0
        for k in range(1, t):
            mu_q, sd_q = q_z[0][:, k], q_z[1][:, k]
            z = mu_q + sd_q * torch.randn_like(sd_q)
            mu_p, sd_p = gaussian(self.p_z(y))
            kl_z = kl_z + kl_normal(mu_q, sd_q, mu_p, sd_p)
            y, res_norm = self.step(y, z)
            l2 = l2 + res_norm
            ys.append(y)
        bern = self.likelihood == 'bernoulli'
        rec = self.decode(torch.stack(ys, 1), w, wskips, logits=bern)
        if bern:
            lo, hi = torch.stack(torch.aminmax(x)).tolist()  # one device sync
            if lo < 0 or hi > 1:
                raise ValueError("SRVP likelihood='bernoulli' needs frames in [0, 1], got values "
                                 f'in [{lo:.3g}, {hi:.3g}] (check the data preprocessor)')
            nll = F.binary_cross_entropy_with_logits(rec, x, reduction='none')
            nll = nll.flatten(2).sum(-1)  # (B, T)
        else:
            nll = ((rec - x) ** 2).flatten(2).sum(-1) / (2 * self.nu)  # (B, T)
        kl_y = kl_normal(mu_y, sd_y, torch.zeros_like(mu_y), torch.ones_like(sd_y))
        losses = dict(loss_rec=self.loss_weight * nll.mean(),
                      loss_kl_z=self.beta_z * kl_z.mean() / t,
                      loss_kl_y=self.beta_y * kl_y.mean() / t)
        if self.l2_res:
            losses['loss_l2_res'] = self.l2_res * l2.mean() / t
        return losses

    # ------------------------------------------------------------------ generation
    def sample(self, frames: torch.Tensor, n_past: int, n_future: int, num_samples: int = 1,
               deterministic: bool = False, every_substep: bool = False,
               generator: Optional[torch.Generator] = None) -> torch.Tensor:
        """Observe ``n_past`` frames and generate ``n_future``.

        Returns ``(B, S, n_future, C, H, W)``; with ``every_substep`` the intermediate Euler
        states are decoded too: ``n_future / dt`` frames (a higher frame rate). Observed steps
        use the posterior, future steps the learned prior; ``deterministic`` takes means.
        """
        self._check_frames(frames, n_past)
        b = frames.shape[0]
        s = 1 if deterministic else num_samples
        h, skips = self.encode(frames[:, :n_past])
        # prediction conditions on the last observed frames (content) and frame (skips)
        last = torch.arange(n_past - self.n_content, n_past, device=h.device).expand(b, -1)
        w = self.content_of(h, last)
        wskips = self.skips_of(skips, last[:, -1])
        rep = lambda t: t.repeat_interleave(s, 0)  # noqa: E731  (B*S, ...) sample-minor
        h, w, wskips = rep(h), rep(w), [rep(k) for k in wskips]

        def draw(mu, sd):
            if deterministic:
                return mu
            return mu + sd * torch.randn(sd.shape, generator=generator, device=sd.device,
                                         dtype=sd.dtype)
        q_y, q_z = self.posteriors(h)
        y = draw(*q_y)
        outs = []
        for k in range(1, n_past + n_future):
            z = draw(q_z[0][:, k], q_z[1][:, k]) if k < n_past else draw(*gaussian(self.p_z(y)))
            y, _, mids = self.step(y, z, keep=True)
            if k >= n_past:
                outs.extend(mids if every_substep else [y])
        x = self.decode(torch.stack(outs, 1), w, wskips)  # (B*S, F, C, H, W)
        return x.view((b, s) + x.shape[1:])

    def extract_feat(self, frames: torch.Tensor) -> Dict[str, object]:
        """Encoder conv stages of the last frame (strides 2..16; any size divisible by 16)."""
        self._check_frames(frames, 1)
        return dict(stages=self.encoder.forward_stages(frames[:, -1]), gates=[])
