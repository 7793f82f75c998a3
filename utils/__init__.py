"""Shared helpers of the A2C course, in three parts. Importing a package has no side effects: import the modules.

``utils.course``: the notebooks' plumbing
    ``session``        ``start()`` of every set-up cell; the repository's paths (``ROOT``, ``AGENTS``, ``RUNS``)
    ``smoke``          the smoke switch (``COURSE_SMOKE``) and ``budget(full, smoke)``: the one place that reads it
    ``notebooks``      the canonical set-up cell, Colab badges, output stripping (``python -m utils.course.notebooks``)
    ``colab``          the robots' part of the Colab set-up (00, 04-06)
    ``export``         ``#@save`` cells of 01-03 copied into ``utils.theory`` (``python -m utils.course.export``)
    ``tables``         Markdown result tables (01 on)
    ``over_seeds``     a result over training seeds: IQM with a bootstrap interval beside mean ± std (03, 05)
    ``quiz``           the quiz at the end of every notebook: ``Question``, ``Quiz.show()``, ``Quiz.check()`` (01 on)
    ``threads``        one torch thread inside a block, restored afterwards
    ``quiet``          PyBullet's C-level banner silenced; the Bullet ids registered without it

``utils.theory``: notebooks 01-04, on CartPole, then continuous actions
    ``episodes``       complete episodes played side by side (01)
    ``nets``           the actor-critic network every CartPole agent uses (01)
    ``returns``        returns, reward-to-go, n-step returns, TD errors, GAE (01, 03)
    ``pg_variance``    the noise of policy-gradient estimates on a frozen policy (01, 03)
    ``reinforce``      REINFORCE and REINFORCE with a baseline (exported from 01 and 03)
    ``actor_critic``   the one-step actor-critic (exported from 02)
    ``a2c_scratch``    A2C from scratch (exported from 03); ``a2c_compare``: SB3's A2C with the same settings (03)
    ``learning_curves`` curves, the "solved" rule and the training race (01-03)
    ``diagrams``       the actor-critic loop and the rollout's bootstraps (02, 03)
    ``exercises``      checkers of 01-03's exercises
    ``gaussian``       the diagonal Gaussian's log-probability written out, and the checker of its exercise (04)
    ``a2c_continuous`` A2C with a Gaussian policy from scratch (exported from 04)
    ``quizzes``        the quizzes that end 01-04, out of sight of the notebooks' cells

``utils.walkers``: notebooks 00 and 05-06, the PyBullet walkers with SB3
    ``envs``           environments by id, Bullet ids registered (00)
    ``batched_queries`` the walkers' state read from PyBullet in batches: the same numbers, sooner
    ``split_vec_env``  the two-core vectorised environment
    ``walking``        distance, speed, falls, the reward's terms, the training-only alive bonus (05)
    ``recipes``        A2C hyperparameters per walker, each value's source (05)
    ``run_config``     a run's options (``RunConfig``), checked before anything is written; the command line made from them
    ``runs``           a training run in its folder: resume, overwrite, the clock, evaluations, logs (05)
    ``callbacks``      the run's SB3 callbacks: progress bar, episode log, frozen evaluation, checkpoints (05)
    ``run_folder``     a run folder's layout: paths, readers, crash-safe snapshots, hash manifests, what is the course's own
    ``diagnostics``    SB3's training diagnostics (explained variance, losses, entropy, std, fps) in ``logs/diagnostics.csv``
    ``early_signs``    a run's training episodes by window of steps: the early signs of a run that will not walk (05)
    ``scoring``        honest evaluation: deterministic episodes, statistics frozen (05)
    ``loading``        loading agents safely: every loaded file verified first, one-line errors (05)
    ``video``          MP4 replays shown inline (00)
    ``figures``        learning curves of runs, live while training, and the reference curves (05)
    ``hub``            packaging for the Hugging Face Hub, push, download (05)
    ``search``         the Optuna search of A2C hyperparameters (05)
    ``ablations``      the spider's ablation study read, aggregated over seeds, plotted; diagnostics figure (06)
    ``ppo_as_a2c``     PPO with one epoch and one minibatch is A2C; what more epochs buy (06)
    ``exercises``      checkers of 05-06's exercises
    ``quizzes``        the quizzes that end 00, 05 and 06, out of sight of the notebooks' cells

Command lines (each calls its library in ``utils.walkers``)
    ``python -m utils.train``     a training run (``walkers.runs``)
    ``python -m utils.evaluate``  an honest evaluation of a run or an agent (``walkers.scoring``)
    ``python -m utils.tune``      an Optuna search (``walkers.search``)
"""
