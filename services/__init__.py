"""The domain, as sub-packages; each sub-package's ``__init__`` is the facade its callers import.

``calendar`` (the one clock, working days), ``programme`` (events, deadlines, the
announcement), ``selection`` (the public draw), ``participation`` (applications,
waiting list, check-in, citizens, suggestions), ``messaging`` (outbox, delivery,
reminders, broadcasts), ``privacy`` (masking, retention, my data), ``admin``
(audit, staff, statistics, exports), ``intake`` (what people type: the one text cleaning,
the forms' Chinese messages, the citizens' flood limit). Nothing here imports Flask or an edge.
"""
