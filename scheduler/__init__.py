"""The scheduler process (``flask scheduler run|tick|plan``) and the delivery workers (``flask worker``).

``jobs`` declares the periodic jobs as data; ``runner`` runs them under a Redis
leader lock; ``dispatch`` hands due outbox rows to RQ; ``worker`` sends them
concurrently; ``client`` is the WeChat client tuned for many threads.
"""
