"""Read models folded from the application's notification log.

Every view writes its rows and its tracking position in one transaction, so an
event is never counted twice and a restarted projector resumes where it stopped.
"""
