"""Root pytest configuration: give notebook kernels a folder in which they record the mode they saw."""
import os
import tempfile

os.environ.setdefault("COURSE_CANARY_DIR", tempfile.mkdtemp(prefix="course-canary-"))
