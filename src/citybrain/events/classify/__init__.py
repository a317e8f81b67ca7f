"""The event classifier: first-level 12345 category and handling department from the text,
with a confidence; abstains (category None) below a threshold. Trained from the shared data or
from labelled tickets, versioned in the database (``event_classifier_model``)."""
