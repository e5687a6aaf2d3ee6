"""Conversation QA in the kernel: transcripts and the scorecard engine (pure, shared with the simulator)."""
