"""Export adapters: the calendar (iCalendar), the charts, the clinician's report (HTML, PDF, CSV) and FHIR."""
