"""The quizzes that end notebooks 01-03 (kept here, not in the notebooks, so the answers are not one cell above).

Each question asks for a reason or a prediction that the notebook's measurements support, not for a definition;
``why`` is what a learner who picked another choice should read.
"""
from __future__ import annotations

from utils.course.quiz import Question, Quiz

QUIZ_01 = Quiz([
    Question(
        "You batch four times as many episodes per REINFORCE gradient (N → 4N). The typical size of the error "
        r"$\|\hat g_N - \nabla J\|$ is:",
        ["divided by 4", "divided by 16", "divided by 2", "unchanged: the noise comes from the policy, not the batch"],
        answer=2,
        why="the *variance* falls as σ²/N (section 3's slope of −1); the typical error is its square root, so it "
            "falls as 1/√N: four times the episodes halves it.",
    ),
    Question(
        "Why does weighting ∇log π(a_t|s_t) by the reward-to-go instead of the whole return keep the expectation of "
        "the gradient unchanged?",
        ["The rewards before t are small next to the rewards after t, so leaving them out moves the mean only a little",
         "An action cannot change the rewards that came before it, and E_a[∇log π(a|s)] = 0, so those terms "
         "average to zero",
         "It does not: reward-to-go drops real terms of the return, so it is biased, but its variance is so much "
         "lower that practitioners accept the bias",
         "Because γ < 1 makes the early rewards negligible"],
        answer=1,
        why="the dropped terms multiply ∇log π(a_t|s_t) by rewards that a_t could not have caused; their "
            "expectation is zero, so only noise is removed (section 4 prints how far apart the two means are, in "
            "standard errors, with γ = 1: no discount involved).",
    ),
    Question(
        "Section 3 measures the cosine between a batch's gradient and a reference gradient from *held-out* "
        "episodes. What would go wrong with the mean of the pool the batches are cut from?",
        ["Nothing, it only saves collecting more episodes",
         "The pool's mean is biased, because it is built from reward-to-go weights rather than whole returns, so it "
         "points away from ∇J",
         "The cosines would come out too low, since the pool is smaller",
         "Each batch is part of that mean and shares its noise, so the cosine would be flattered"],
        answer=3,
        why="a mean that contains the batch is pulled towards it: part of the batch's own noise counts as "
            "agreement. Only a reference built from other episodes measures how well the batch points at ∇J.",
    ),
    Question(
        "A batch of episodes gives a gradient with signal-to-noise ratio 1. A step along it:",
        ["goes uphill on average, but its direction can be far from ∇J's",
         "points exactly along ∇J",
         "is a random direction: with noise as large as the signal, the estimate carries no information about ∇J",
         "goes downhill as often as uphill"],
        answer=0,
        why="SNR 1 means ‖∇J‖² equals the expected ‖noise‖²: the estimate is unbiased, so its expected step is "
            "uphill, but the noise is as large as the signal, so any one step can point far off.",
    ),
])

QUIZ_02 = Quiz([
    Question(
        "An episode of CartPole stops at the 500-step time limit (truncated, not terminated). The TD target of "
        "its last step should be:",
        ["r_t: the episode is over, there is no future",
         "r_t + γ V(first state of the next episode), since the vectorised environment has already reset and that "
         "is the observation it returns",
         "r_t + γ V(final observation): the state still had a future, we only stopped watching",
         "0, so that the critic learns nothing from a cut episode"],
        answer=2,
        why="only a terminal step (the pole fell) has no future. At a truncation the pole was still up, so the "
            "target keeps γ V of the real final observation, never of the next episode's first state.",
    ),
    Question(
        "If the critic were exact (V = V^π), the TD error δ_t = r_t + γ V(s_{t+1}) − V(s_t) of one step would be:",
        ["an unbiased but noisy one-sample estimate of the advantage A^π(s_t, a_t)",
         "exactly the advantage A^π(s_t, a_t), with no noise, because an exact critic removes the randomness of the "
         "target",
         "always 0",
         "the reward-to-go from s_t"],
        answer=0,
        why="E[δ_t | s_t, a_t] = Q^π(s_t, a_t) − V^π(s_t) = A^π(s_t, a_t), but one sampled reward and next state "
            "are random, so one δ_t is noisy; it is 0 only on average over actions, not for each action.",
    ),
    Question(
        "Why is the TD target y_t = r_t + γ V_w(s_{t+1}) held fixed (no gradient through V_w(s_{t+1})) in the "
        "critic's loss?",
        ["PyTorch cannot differentiate through the next state",
         "It saves a backward pass through the critic, and since V_w(s_t) and V_w(s_{t+1}) share their weights, "
         "the update comes out exactly the same",
         "V_w(s_{t+1}) is 0 at the end of every episode anyway",
         "The target is where V_w(s_t) should move; a gradient through it would let the critic shrink its error "
         "by moving V_w(s_{t+1}) instead"],
        answer=3,
        why="the update is a semi-gradient on purpose: the target is a (better-informed) guess to move towards, "
            "not a quantity to change. Differentiating through it gives a different, worse-behaved rule.",
    ),
    Question(
        "Notebook 02 gives the critic ten times the actor's step size. Why?",
        ["The critic has more parameters to train",
         "The critic judges the current policy, a moving target: it must track the policy's values faster than "
         "the policy changes, or its TD errors judge a policy that no longer exists",
         "A larger critic step size makes the policy's entropy higher",
         "It does not matter which one is faster; 10x is arbitrary"],
        answer=1,
        why="the actor follows δ_t, which is only as good as V's picture of the *current* policy; with a lagging "
            "critic δ_t mostly measures the lag (the two-timescale argument of section 1, and exercise 3).",
    ),
    Question(
        "In CartPole every reward is +1, so every REINFORCE weight Ĝ_t is positive. With the TD error as the "
        "weight instead:",
        ["every action taken still becomes more likely, since all rewards are positive, but the ones followed by "
         "small TD errors grow by less",
         "no action changes probability until the episode ends",
         "an action becomes more likely if it turned out better than the critic expected, less likely if worse",
         "only the last action of each episode is updated"],
        answer=2,
        why="δ_t compares what happened (r_t + γ V(s_{t+1})) with what the critic expected (V(s_t)); it is centred, "
            "so it can be negative and push a bad action's probability down, which Ĝ_t > 0 never does.",
    ),
])

QUIZ_03 = Quiz([
    Question(
        "Which advantage estimate, used as the weight of ∇log π(a_t|s_t), keeps the policy-gradient estimate "
        "unbiased whatever the critic's errors?",
        ["The TD error r_t + γ V(s_{t+1}) − V(s_t)",
         "The 5-step return minus V(s_t)",
         "GAE with λ = 0.95",
         "The reward-to-go minus V(s_t)"],
        answer=3,
        why="subtracting any function of the state alone leaves the expected gradient unchanged "
            "(E[∇log π(a|s) V(s)] = 0), even though Ĝ_t − V(s_t) is itself a biased estimate of A^π unless V = V^π; "
            "the bootstrapped estimates put V(s_{t+n}) inside the weight, so V's errors bias the gradient "
            "(section 2's early-critic rows).",
    ),
    Question(
        "A2C with n_steps = 5 and λ = 1, a rollout with no episode end. How many real rewards does the critic's "
        "target of the rollout's *last* position contain?",
        ["1", "5", "3, on average", "none: it is V alone"],
        answer=0,
        why="every position's return runs to the end of the rollout and then bootstraps on V(s_5): the first "
            "position sees 5 rewards, the last only its own, a one-step TD target (section 4's figure).",
    ),
    Question(
        "GAE with λ = 0 gives the advantage:",
        ["Ĝ_t − V(s_t), the Monte-Carlo estimate",
         "δ_t, the one-step TD error",
         "0 for every step",
         "the n_steps-step return minus V(s_t)"],
        answer=1,
        why="Â_t = δ_t + γλ Â_{t+1}: with λ = 0 the sum stops after its first term, δ_t (the lowest variance, the "
            "most bias from V); λ = 1 gives the return bootstrapped at the end of the rollout.",
    ),
    Question(
        "In A2C's single RMSprop optimiser, actor and critic share no weights. Multiplying vf_coef by 10 makes "
        "the critic's parameter updates:",
        ["about 10 times larger: the critic's loss, and so its gradient, is multiplied by 10, and the optimiser's "
         "step follows the gradient's size",
         "about 10 times smaller",
         "barely different: RMSprop divides each gradient by its running root-mean-square, so a constant scale "
         "mostly cancels",
         "larger for the actor instead"],
        answer=2,
        why="RMSprop's step is gradient / √(running mean of gradient²): scaling the critic's gradient by 10 scales "
            "both, and only ε (and the shared gradient clipping) is left to notice (section 4 measures it).",
    ),
    Question(
        "Why does A2C take 5 steps in each of 8 environments rather than 40 steps in one?",
        ["GAE cannot be computed on a single environment",
         "Steps of 8 environments come from different moments of different episodes: a far less correlated batch "
         "than 40 consecutive steps",
         "Each environment runs its own copy of the policy with its own parameters, and averaging the 8 copies' "
         "gradients lowers the variance of the update",
         "One environment cannot produce 40 steps between updates"],
        answer=1,
        why="consecutive states of one episode are nearly the same, so 40 of them carry little more information "
            "than a few; parallel environments give a more varied batch at the same cost (exercise 4 tries it).",
    ),
])

QUIZ_04 = Quiz([
    Question(
        "A policy outputs a mean μ(s) and a log-std for the walker's 6 joints. Why is log π(a|s) a *sum* over the "
        "6 joints?",
        ["Because A2C's loss averages over the batch",
         "It should be the mean over the joints, so that the loss does not grow with the number of joints; SB3 "
         "sums only because its entropy bonus is a sum",
         "Because the entropy bonus is a sum",
         "Given s the 6 Gaussians are independent, so the density is their product and its logarithm the sum"],
        answer=3,
        why="a diagonal covariance makes the joints independent given s: π(a|s) = Π_i N(a_i; μ_i, σ_i²), so "
            "log π = Σ_i log N(a_i; μ_i, σ_i²) (section 1 checked it against torch.distributions).",
    ),
    Question(
        "With a state-independent log σ, the entropy of the Gaussian policy depends on:",
        ["the state s", "the mean μ(s)", "only log σ", "the action that was sampled"],
        answer=2,
        why="H = Σ_i (½ log(2πe) + log σ_i): neither the state nor the mean appears, so an entropy bonus can only "
            "push σ up (section 1's Monte-Carlo estimate agreed with the formula).",
    ),
    Question(
        "A joint's bounds are [−1, 1] and SB3's A2C samples a = 1.7. What does the environment receive, and whose "
        "log-probability enters the loss?",
        ["1.0; the log-probability of 1.7", "1.7; the log-probability of 1.7",
         "1.0; the log-density at 1.0", "neither: the sample is redrawn until it lies within the bounds"],
        answer=0,
        why="the action is clipped for the environment, but the rollout buffer keeps the sampled 1.7 and the loss "
            "uses its log-probability; a clipped action has a probability mass at the bound, not a density.",
    ),
    Question(
        "Under gSDE with sde_sample_freq=-1, why is the noise of consecutive steps strongly correlated (section 6), "
        "and why is its size not exp(log_std_init)?",
        ["Because gSDE adds the same constant noise vector at every step of a rollout, and SB3 scales that vector "
         "by exp(log_std_init) divided by the number of joints",
         "The noise is Θᵀz(s) with Θ drawn once per rollout: close states give close noise; its std is "
         "‖z(s)‖·exp(log_std_init)",
         "Because SB3 smooths the actions with a moving average, which also shrinks them",
         "Because gSDE only explores through the entropy bonus"],
        answer=1,
        why="between two draws of Θ the noise is a fixed linear function of the latent features z(s), which change "
            "little from one step to the next; each joint's variance is Σ_k z_k² σ_kj², so the std grows with ‖z‖.",
    ),
    Question(
        "You evaluate the trained pendulum policy of section 4 deterministically. Which action does it take?",
        ["a sample from N(μ(s), σ²)", "μ(s) + σ", "the mean μ(s), clipped to the bounds",
         "the action with the highest log-probability among 10 samples"],
        answer=2,
        why="the deterministic action is the mean, the peak of the density (SB3's predict(deterministic=True)); "
            "the training curve, made of sampled actions, is a different measure.",
    ),
])
