"""The walker pipeline of notebooks 00 and 05-06: PyBullet environments, recipes, training runs, evaluation, Hub."""
