"""The walker pipeline of notebooks 00 and 04-05: PyBullet environments, recipes, training runs, evaluation, Hub."""
