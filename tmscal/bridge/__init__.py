"""The bridge's application layer: booking, refusals, room access, credentials, invitations and
the process-wide runtime, between the mirror and the protocol edges (DESIGN.md)."""
