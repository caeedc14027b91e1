"""Export adapters: calendar (iCalendar) and, later, reports and FHIR."""
