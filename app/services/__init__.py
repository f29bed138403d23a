"""Services: every business rule and every commit lives here."""
