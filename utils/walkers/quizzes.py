"""The quizzes that end the walker notebooks (kept here, not in the notebooks, so the answers are not one cell above).

Each question asks for a reason or a prediction that the notebook's measurements support; ``why`` is what a
learner who picked another choice should read.
"""
from __future__ import annotations

from utils.course.quiz import Question, Quiz

QUIZ_06 = Quiz([
    Question(
        "The course recipe collects 4 steps in each of 8 copies per update, with GAE λ = 0.9. How many rewards "
        "can one advantage estimate use before it bootstraps on the critic?",
        ["At most 4: the rollout ends after 4 steps, and the critic's value stands in for everything after",
         "About 10, since GAE's weights (γλ)^l fall to about e^-1 after 1 / (1 − λ) = 10 steps and the rest are "
         "negligible",
         "All the rewards until the end of the episode", "Exactly 1, as in a TD error"],
        answer=0,
        why="GAE sums (γλ)^l-weighted TD errors over the rollout only; with n_steps = 4 the first step of a rollout "
            "sees 4 rewards and the last one sees 1, then V of the next state. 1 / (1 − λ) is the horizon of the "
            "weights, which the rollout cuts off long before.",
    ),
    Question(
        "The 4x8 variant (4 copies × 8 steps) and the course recipe (8 × 4) both learn from 32 samples per "
        "update. What is different?",
        ["Nothing: the same batch size is the same algorithm",
         "Only the speed: 8 copies split over two processes keep both cores busier, while the updates, the "
         "advantages and the exploration noise stay exactly the same",
         "4x8 makes twice as many updates per environment step",
         "The estimator: advantages bootstrap after up to 8 rewards instead of 4, gSDE redraws its noise half as "
         "often, and a batch holds 4 trajectories"],
        answer=3,
        why="the number of updates per step is the same (one per 32 samples), but what each sample's advantage "
            "is made of, how often the exploration noise changes, and how correlated the batch is all differ.",
    ),
    Question(
        "Both seeds of a variant end below both seeds of the course recipe. If the variant were in fact just as "
        "good, how often would two seeds per arm come out fully separated like this, one way or the other?",
        ["Almost never: full separation is strong evidence", "1 time in 6", "1 time in 3", "Half the time"],
        answer=2,
        why="the 4 runs can be ordered in C(4, 2) = 6 equally likely ways (which two are on top); 2 of them are "
            "fully separated, so 2/6 = 1/3. Two seeds give a hint, not a conclusion (exercise 2).",
    ),
    Question(
        "The course recipe: its explained variance stays near 1 from its first record on. What does that tell you?",
        ["The critic is nearly perfect: it predicts the discounted returns almost exactly, so the advantages and "
         "the policy gradient built on them are accurate",
         "Little: with 4-step rollouts the targets are mostly the critic's own value, easy to explain; a value "
         "near 0 or below would be the alarm",
         "The policy has converged", "The learning rate is too low"],
        answer=1,
        why="explained variance compares V with the GAE returns of the rollout, which are at most 4 rewards plus "
            "V(next state); most of their variance is V's own. Read it as a smoke alarm (≤ 0: the critic is no "
            "better than a constant), not as a quality score.",
    ),
    Question(
        "SB3's PPO with one epoch over one minibatch (the whole rollout) made exactly A2C's parameters, even with "
        "the clip range at 0.2. Why does the clip not act?",
        ["The gradient step is taken with the very policy that collected the rollout, so the probability ratio "
         "is exactly 1, inside any clip range, and its gradient is A2C's ∇log π",
         "Because the advantages are small", "It does act, but RMSprop undoes it",
         "Because gSDE keeps the noise fixed during a rollout"],
        answer=0,
        why="PPO clips r = π_θ / π_θold; before the first step θ = θold, so r = 1 and ∇r = ∇log π. Only a second "
            "epoch (or minibatch) sees θ ≠ θold, where the clip can bind: that is what the 4-epoch run adds.",
    ),
])

QUIZ_00 = Quiz([
    Question(
        "A walker's action holds one number in [−1, 1] per joint. What does each number set?",
        ["the joint's target angle, which a position controller inside PyBullet then reaches with whatever torque "
         "it needs", "the joint's torque: power × power_coef × action, for the next 4 physics sub-steps",
         "the joint's speed", "the position of the foot at the end of the leg"],
        answer=1,
        why="apply_action turns each number into a motor torque (section 4's table gives the torque at ±1): to "
            "hold a pose the policy has to push against gravity all the time.",
    ),
    Question(
        "Random torques score far more on the ant than on the walker (section 6). Why?",
        ["Random torques happen to push the ant forward: with four legs, random kicks add up to a steady drift "
         "along +x, which the progress term pays",
         "The ant's electricity cost is positive",
         "The ant's rewards are scaled up by its four legs",
         "The ant rarely falls, so it collects the +1 alive bonus at most steps, often up to the 1000-step limit"],
        answer=3,
        why="the walker falls within a fraction of a second, the ant's torso only has to stay above 0.26 m: the "
            "return of a random policy measures mostly how long it survives, not how far it walks.",
    ),
    Question(
        "Summed over an episode and multiplied by the step's duration dt, the progress term of the reward equals:",
        ["the energy spent by the motors over the episode, since progress is what is left of the reward after the "
         "electricity cost", "the number of steps survived",
         "the distance the torso moved towards the target (along +x)", "the alive bonus"],
        answer=2,
        why="progress is how much closer the robot came to the target, divided by the step's duration: its speed "
            "towards the target; section 4 compared Σ progress × dt with the distance moved along x.",
    ),
    Question(
        "Some of the ant's ankle angles lie outside [−1, 1] right after reset. Why?",
        ["Angles are scaled by each joint's declared range, and the ant starts with its ankles outside that range",
         "Sensor noise added by PyBullet", "The observation is clipped to [−5, 5], not [−1, 1]",
         "A bug: they should be clipped to [−1, 1]"],
        answer=0,
        why="ant.xml declares ankle ranges of 30° to 100° (or −100° to −30°), but the ant starts near 0°, which "
            "scales to about ±1.9 (section 3).",
    ),
])

QUIZ_05 = Quiz([
    Question("A walker scores 985 over 1000-step episodes and walks 0.2 m. What has it learned?",
             ["To walk slowly but safely", "Nothing: 985 is about what a random policy scores, since the alive bonus "
              "pays every step", "To stand: the alive bonus pays about 1 per upright step"], 2,
             "The alive bonus pays +1 for every step upright: standing for 1000 steps earns about 1000 without "
             "moving. Only the distance walked tells standing from walking."),
    Question("You load `vec_normalize.pkl` with `VecNormalize.load` and evaluate right away. What goes wrong?",
             ["The running statistics keep updating during evaluation, so the agent is scored with a scaling it was "
              "not trained with",
              "The loaded statistics are empty until the first reset, so the first episodes reach the policy "
              "without any normalisation at all",
              "Nothing: VecNormalize.load restores the statistics frozen, in evaluation mode, exactly as they were "
              "saved"], 0,
             "VecNormalize.load returns the statistics in training mode (training=True): every observation moves "
             "them. Set training = False to freeze them (and norm_reward = False to read the environment's rewards)."),
    Question("Why does the published score come from episodes that were not used to choose between the last and "
             "the best policy?",
             ["To save time", "Choosing on episodes and scoring on the same ones counts the winner's luck in its "
              "score (the winner's curse)", "Because the best policy was saved from evaluations with sampled "
              "actions, so their episodes cannot be reused for a deterministic score"], 1,
             "Whichever candidate happened to be luckiest on the choosing episodes wins; fresh episodes measure it "
             "without that luck."),
    Question("With 8 copies × 4 steps instead of 4 copies × 8 steps (32 samples either way), what changes?",
             ["Nothing: the same batch is the same estimator",
              "Each update uses twice as many samples",
              "GAE bootstraps after at most 4 rewards instead of 8, and gSDE redraws its noise twice as often"], 2,
             "Same batch size, not the same estimator: shorter rollouts lean more on the critic's (biased) estimate, "
             "and gSDE resamples its noise weights once per rollout."),
])
