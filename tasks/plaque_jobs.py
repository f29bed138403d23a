"""Back-office plaque jobs (H3): a whole village's PDF rendered in the background."""
