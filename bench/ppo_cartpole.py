"""Benchmark: lecture 05's PPO on CartPole-v1, next to Stable-Baselines3's PPO.

Prints figures; asserts nothing. For each seed it measures the environment steps and
the wall-clock seconds until the mean return of the last 10 episodes first reaches
475, for

* the PPO of lecture 05 with the lecture's default hyper-parameters. The code is not
  a copy: the notebook cells tagged ``ppo_core`` in solutions/05_ppo/05_ppo.ipynb
  (setup, the graded functions' reference solutions and the training loop) are
  executed into a module, and its ``train`` is called;
* Stable-Baselines3's PPO with the rl-zoo hyper-parameters for CartPole-v1 (8 envs,
  n_steps 32, batch 256, 20 epochs, gamma 0.98, lambda 0.8, linear learning rate from
  1e-3 and clip range from 0.2, no entropy bonus), measured by a callback with the same
  criterion. SB3 is an optional extra: ``pip install -e '.[bench]'``; without it that
  half is skipped.

Seconds count from the start of the run (environments and networks included) to the
end of the vector step that completes the qualifying episode; steps count every
environment step, as SB3's ``num_timesteps`` does. Both run in this process, with the
same torch thread setting and device (``shared.policies.device()``, or
PGCOURSE_DEVICE). Runs alternate between the two so that a change in machine load
affects both; the CPU seconds of each run are printed as well, a figure that depends
less on what else the machine is doing.

    .venv/bin/python bench/ppo_cartpole.py [--seeds 5] [--no-sb3] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import time
import types
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
import torch

REPO = Path(__file__).resolve().parent.parent
NOTEBOOK = REPO / "solutions" / "05_ppo" / "05_ppo.ipynb"
TAG = "ppo_core"
THRESHOLD = 475.0
WINDOW = 10
# rl-zoo (hyperparams/ppo.yml) trains CartPole-v1 for 1e5 steps; the linear schedules
# of SB3 decay over the total given to learn(), so it is passed unchanged.
SB3_TOTAL = 100_000
TARGET_STEPS, TARGET_SECONDS, TARGET_SPEEDUP = 20_000, 5.0, 2.0


def load_lecture(path: Path = NOTEBOOK) -> types.ModuleType:
    """Execute the notebook's cells tagged ppo_core into a fresh module."""
    nb = nbformat.read(path, as_version=4)
    cells = [
        c
        for c in nb.cells
        if c.cell_type == "code" and TAG in c.metadata.get("tags", [])
    ]
    if not cells:
        raise SystemExit(f"no code cell of {path} is tagged {TAG!r}")
    module = types.ModuleType("lecture05_ppo")
    module.__file__ = str(path)
    # dataclasses look their module up in sys.modules
    sys.modules[module.__name__] = module
    for cell in cells:
        name = f"{path.name}:{cell.metadata['nbgrader']['grade_id']}"
        exec(compile(cell.source, name, "exec"), module.__dict__)
    return module


def run_lecture(lec: types.ModuleType, seed: int, max_steps: int) -> tuple[Any, ...]:
    """(steps, seconds, CPU seconds) to the criterion for the lecture's PPO.

    Steps and seconds are None when the criterion was not reached. The run stops at
    the criterion, so the CPU time of the whole call is the CPU time to reach it.
    """
    cpu = time.process_time()
    log = lec.train(lec.PPOConfig(), seed, max_steps, stop_return=THRESHOLD)
    return log.solved_step, log.solved_time, time.process_time() - cpu


def make_sb3_runner(device: torch.device) -> Any:
    """A function seed -> (steps, seconds, total seconds) for SB3, or None."""
    try:
        from stable_baselines3 import PPO
        from stable_baselines3.common.callbacks import BaseCallback
        from stable_baselines3.common.env_util import make_vec_env
    except ImportError:
        return None

    class Criterion(BaseCallback):
        """Stop when the mean return of the last WINDOW episodes reaches THRESHOLD."""

        def __init__(self, start: float) -> None:
            super().__init__()
            self.start = start
            self.returns: list[float] = []
            self.solved: tuple[int, float] | None = None

        def _on_step(self) -> bool:
            # the Monitor wrapper reports each finished episode in its info dict
            for info in self.locals["infos"]:
                episode = info.get("episode")
                if episode is None:
                    continue
                self.returns.append(float(episode["r"]))
                recent = self.returns[-WINDOW:]
                if len(recent) == WINDOW and np.mean(recent) >= THRESHOLD:
                    self.solved = (self.num_timesteps, time.perf_counter() - self.start)
                    return False
            return True

    def run(seed: int, total: int = SB3_TOTAL) -> tuple[Any, ...]:
        start, cpu = time.perf_counter(), time.process_time()
        envs = make_vec_env("CartPole-v1", n_envs=8, seed=seed)
        model = PPO(
            "MlpPolicy",
            envs,
            n_steps=32,
            batch_size=256,
            n_epochs=20,
            gamma=0.98,
            gae_lambda=0.8,
            ent_coef=0.0,
            learning_rate=lambda remaining: remaining * 1e-3,
            clip_range=lambda remaining: remaining * 0.2,
            seed=seed,
            device=device,
            verbose=0,
        )
        criterion = Criterion(start)
        model.learn(total_timesteps=total, callback=criterion)
        cpu = time.process_time() - cpu
        if criterion.solved is None:
            return None, None, cpu
        return (*criterion.solved, cpu)

    return run


def _fmt(steps: Any, seconds: Any, cpu: float) -> str:
    if steps is None:
        return f"{'not reached':>29s}"
    return f"{steps:8d} {seconds:7.2f} s (cpu {cpu:5.2f})"


def _median(values: list[Any]) -> float:
    # a run that never reached the criterion counts as infinitely slow
    return float(np.median([np.inf if v is None else v for v in values]))


# Where a run's time goes: (label, file name part, function name), nested by indent.
# Cumulative times; a function called from several places counts wherever it runs.
_PROFILE_ROWS = [
    ("train (whole run)", "train_code", "train"),
    ("  rollout: shared.rollout.collect", "rollout.py", "collect"),
    ("    policy_fn: batched inference + sampling", "train_code", "policy_fn"),
    ("    CartPoleVectorEnv.step", "cartpole.py", "step"),
    ("  EpisodeTracker.update", "train_code", "update"),
    ("  ppo_batch: values + GAE", "ppo_config", "ppo_batch"),
    ("  ppo_update", "ppo_update", "ppo_update"),
    ("    ppo_loss: forward passes + loss", "ppo_loss", "ppo_loss"),
    ("    backward", "_tensor.py", "backward"),
    ("    clip_grad_norm_", "clip_grad.py", "clip_grad_norm_"),
    ("    Adam step", "adam.py", "step"),
    ("    zero_grad", "optimizer.py", "zero_grad"),
    ("  make_vector_env + networks", "rollout.py", "make_vector_env"),
]


def profile(lec: types.ModuleType, seed: int, max_steps: int) -> None:
    """cProfile one run of the lecture's PPO and print where the time goes."""
    profiler = cProfile.Profile()
    profiler.enable()
    log = lec.train(lec.PPOConfig(), seed, max_steps, stop_return=THRESHOLD)
    profiler.disable()
    print(
        f"\nprofile of seed {seed} (cProfile adds overhead): criterion at "
        f"{log.solved_step} steps, {log.seconds:.2f} s under the profiler"
    )
    stats = pstats.Stats(profiler)
    # {(file, line, function): (calls, primitive calls, own s, cumulative s, callers)}
    table: dict[tuple[str, int, str], tuple[Any, ...]] = stats.stats  # type: ignore
    total = max(log.seconds, 1e-9)
    print(f"{'where':46s} {'cumulative':>9s} {'share':>6s} {'calls':>7s}")
    for label, file_part, func in _PROFILE_ROWS:
        # the largest matching entry: wrappers and the function they wrap overlap
        rows = [
            row
            for (filename, _, name), row in table.items()
            if name == func and file_part in filename
        ]
        calls, cumulative = max(
            ((r[1], r[3]) for r in rows), key=lambda x: x[1], default=(0, 0.0)
        )
        print(f"{label:46s} {cumulative:7.2f} s {cumulative / total:6.1%} {calls:7d}")
    print("\nfunctions with the most time of their own:")
    stats.sort_stats("tottime").print_stats(12)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--max-steps", type=int, default=100_000)
    parser.add_argument("--no-sb3", action="store_true", help="skip Stable-Baselines3")
    parser.add_argument("--profile", action="store_true", help="cProfile one run")
    args = parser.parse_args(argv)

    lec = load_lecture()
    device = lec.device
    run_sb3 = None if args.no_sb3 else make_sb3_runner(device)
    print(
        f"device {device}, torch {torch.__version__}, {torch.get_num_threads()} torch "
        f"thread(s), {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}"
    )
    print(f"lecture 05 defaults: {lec.PPOConfig()}")
    if run_sb3 is None and not args.no_sb3:
        print(
            "Stable-Baselines3 is not installed: skipping the comparison "
            "(install it with: pip install -e '.[bench]')."
        )

    # one short run each first: imports, allocator and kernel warm-up are not timed
    lec.train(lec.PPOConfig(), 10_000, 512)
    if run_sb3 is not None:
        run_sb3(10_000, total=512)

    ours: list[tuple[Any, ...]] = []
    theirs: list[tuple[Any, ...]] = []
    header = f"{'seed':>4s} {'lecture 05: steps, wall-clock':>29s}"
    if run_sb3 is not None:
        header += f"   {'SB3 rl-zoo: steps, wall-clock':>29s}"
    print(header)
    for seed in range(args.seeds):
        ours.append(run_lecture(lec, seed, args.max_steps))
        line = f"{seed:4d} {_fmt(*ours[-1])}"
        if run_sb3 is not None:
            theirs.append(run_sb3(seed))
            line += f"   {_fmt(*theirs[-1])}"
        print(line, flush=True)

    steps_ours = _median([r[0] for r in ours])
    secs_ours = _median([r[1] for r in ours])
    cpu_ours = _median([r[2] for r in ours])
    print(
        f"median lecture 05: {steps_ours:.0f} steps, {secs_ours:.2f} s "
        f"(cpu {cpu_ours:.2f} s) "
        f"(targets: <= {TARGET_STEPS} steps "
        f"{'met' if steps_ours <= TARGET_STEPS else 'MISSED'}, "
        f"<= {TARGET_SECONDS:g} s {'met' if secs_ours <= TARGET_SECONDS else 'MISSED'})"
    )
    if run_sb3 is not None:
        steps_sb3 = _median([r[0] for r in theirs])
        secs_sb3 = _median([r[1] for r in theirs])
        cpu_sb3 = _median([r[2] for r in theirs])
        speedup = secs_sb3 / secs_ours
        print(
            f"median SB3 rl-zoo:  {steps_sb3:.0f} steps, {secs_sb3:.2f} s "
            f"(cpu {cpu_sb3:.2f} s)"
        )
        print(
            f"ratio SB3 / lecture 05: {steps_sb3 / steps_ours:.2f}x the steps, "
            f"{speedup:.2f}x the seconds (target >= {TARGET_SPEEDUP:g}x: "
            f"{'met' if speedup >= TARGET_SPEEDUP else 'MISSED'}; "
            f"{cpu_sb3 / cpu_ours:.2f}x the CPU seconds)"
        )
    print(f"load average at the end {os.getloadavg()[0]:.2f}")
    if args.profile:
        profile(lec, 0, args.max_steps)


if __name__ == "__main__":
    main(sys.argv[1:])
