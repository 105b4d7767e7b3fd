"""The inbox chat's mechanics: one topic per phone, a phone's backlog packed into few messages,
delivered within the group's budget, and which phone a message written there answers."""
