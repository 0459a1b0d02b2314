"""The course's small library: the plumbing that several lectures share.

Import the module you need, e.g. ``from shared import exact, mdp``:

* ``mdp``: tabular MDPs and ready-made examples (bandit, two-state, chain, gridworld)
* ``exact``: V, Q, A, d^pi, J and the softmax policy gradient by linear algebra
* ``rollout``: trajectories from tabular MDPs and gymnasium (vector) environments
* ``policies``: torch policies, a value net and ``device()``
* ``plotting``: the house style for learning curves, histograms and gridworlds
* ``checking``: comparisons that explain what differs, for self-checks and grading
"""
