//! Strategy playbook: three ranked follow-up strategies grounded in the conversation.
