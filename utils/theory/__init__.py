"""The theory of notebooks 01-03 on CartPole: returns, gradient noise, REINFORCE, actor-critic, A2C from scratch."""
