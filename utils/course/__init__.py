"""The course's plumbing: the notebooks' set-up cell and smoke switch, tables, threads, the #@save export."""
