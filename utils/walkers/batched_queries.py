"""The walkers' observation and torque code with one PyBullet call per body instead of one per part or joint.

Why it exists (issue 18): ``pybullet_envs_gymnasium``'s ``WalkerBase.calc_state`` asks PyBullet for the pose of
every body part (17 for the biped, 22 for the spider, the floor included) and the state of every joint one call at a
time, and ``apply_action`` sets each joint's torque in its own call. :func:`install` replaces the two methods on one
robot with copies that ask for the same numbers in batches (``getJointStates``, ``getLinkStates``,
``setJointMotorControlArray``) and compute everything else with the same expressions in the same order:
observations, rewards and terminations stay bit-identical (``tests/test_envs.py`` steps both versions side by side),
and the environments step faster (``python benchmarks/throughput.py``: the plain environment against the course's on
random actions, ``benchmarks/results/throughput.log``). Agents are unaffected: nothing of this is pickled, and a policy
sees the same observations on a plain ``gym.make`` environment.

Only the version the copies were checked against is patched (:data:`CHECKED_VERSION`); with another one, or a robot
class that overrides either method (the humanoid's ``apply_action``), the library's own code runs.
"""
from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

import gymnasium as gym
import numpy as np

from utils.course.quiet import silence_c_output

with silence_c_output():  # PyBullet prints its build time when first imported
    import pybullet

CHECKED_VERSION = "0.6.0"
"""The ``pybullet_envs_gymnasium`` whose ``WalkerBase.calc_state`` and ``apply_action`` the copies reproduce."""


def _library_matches() -> bool:
    try:
        return version("pybullet_envs_gymnasium") == CHECKED_VERSION
    except PackageNotFoundError:
        return False


def _calc_state(self):
    """``WalkerBase.calc_state`` of pybullet_envs_gymnasium 0.6.0 with batched queries (same values, same order)."""
    p = self._p
    body, joints, lower, upper = self._batched_joints
    j = np.array([(2 * (s[0] - lo) / (hi - lo) - 1.0, 0.1 * s[1])
                  for s, lo, hi in zip(p.getJointStates(body, joints), lower, upper)], dtype=np.float32).flatten()
    self.joint_speeds = j[1::2]
    self.joints_at_limit = np.count_nonzero(np.abs(j[0::2]) > 0.99)

    poses = {(b, -1): p.getBasePositionAndOrientation(b) for b in self._batched_bases}
    for b, links in self._batched_links.items():
        for link, state in zip(links, p.getLinkStates(b, links)):
            poses[(b, link)] = state[0], state[1]
    parts_xyz = np.array([poses[key][0] for key in self._batched_parts], dtype=np.float64).flatten()
    position, orientation = poses[self._batched_body]
    body_xyz = np.array(position)
    self.body_xyz = (parts_xyz[0::3].mean(), parts_xyz[1::3].mean(), body_xyz[2])
    self.body_real_xyz = body_xyz
    self.body_rpy = pybullet.getEulerFromQuaternion(np.array(orientation))
    z = self.body_xyz[2]
    if self.initial_z is None:
        self.initial_z = z
    r, pitch, yaw = self.body_rpy
    self.walk_target_theta = np.arctan2(self.walk_target_y - self.body_xyz[1], self.walk_target_x - self.body_xyz[0])
    self.walk_target_dist = np.linalg.norm([self.walk_target_y - self.body_xyz[1], self.walk_target_x - self.body_xyz[0]])
    angle_to_target = self.walk_target_theta - yaw
    rot_speed = np.array([[np.cos(-yaw), -np.sin(-yaw), 0], [np.sin(-yaw), np.cos(-yaw), 0], [0, 0, 1]])
    vx, vy, vz = np.dot(rot_speed, self.robot_body.speed())
    more = np.array([z - self.initial_z, np.sin(angle_to_target), np.cos(angle_to_target), 0.3 * vx, 0.3 * vy,
                     0.3 * vz, r, pitch], dtype=np.float32)
    return np.clip(np.concatenate([more, j, self.feet_contact]), -5, +5)


def _apply_action(self, a):
    """``WalkerBase.apply_action`` of pybullet_envs_gymnasium 0.6.0: the same torques, set in one call."""
    assert np.isfinite(a).all()
    body, joints, _, _ = self._batched_joints
    forces = [self.power * j.power_coef * float(np.clip(a[n], -1, +1)) for n, j in enumerate(self.ordered_joints)]
    self._p.setJointMotorControlArray(body, joints, pybullet.TORQUE_CONTROL, forces=forces)


def install(robot) -> bool:
    """Give a loaded walker robot (after its first reset) the batched methods; False (nothing changed) where the
    library's version or the robot's class is not the one they reproduce."""
    from pybullet_envs_gymnasium.robot_locomotors import WalkerBase

    cls = type(robot)
    if (not _library_matches() or not isinstance(robot, WalkerBase) or cls.calc_state is not WalkerBase.calc_state
            or cls.apply_action is not WalkerBase.apply_action or not robot.ordered_joints):
        return False
    joints = robot.ordered_joints
    bodies = {j.bodies[j.bodyIndex] for j in joints}
    if len(bodies) != 1:
        return False
    robot._batched_joints = (bodies.pop(), [j.jointIndex for j in joints], [j.lowerLimit for j in joints],
                             [j.upperLimit for j in joints])
    robot._batched_parts = [(part.bodies[part.bodyIndex], part.bodyPartIndex) for part in robot.parts.values()]
    robot._batched_bases = sorted({b for b, link in robot._batched_parts if link < 0})
    robot._batched_links = {}
    for b, link in robot._batched_parts:
        if link >= 0:
            robot._batched_links.setdefault(b, []).append(link)
    torso = robot.robot_body
    robot._batched_body = (torso.bodies[torso.bodyIndex], torso.bodyPartIndex)
    robot.calc_state = _calc_state.__get__(robot)
    robot.apply_action = _apply_action.__get__(robot)
    return True


class BatchedQueries(gym.Wrapper):
    """Installs the batched methods on the walker's robot once it is loaded (at the first reset); tried once."""

    def __init__(self, env: gym.Env):
        super().__init__(env)
        self.batched = False
        self._tried = False

    def reset(self, **kwargs):
        result = self.env.reset(**kwargs)
        if not self._tried:
            self._tried = True
            self.batched = hasattr(self.env.unwrapped, "robot") and install(self.env.unwrapped.robot)
        return result
