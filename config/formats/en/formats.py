# English: a 12-hour clock without a leading zero, "9:18 PM" (Django's own "P" says "9:18 p.m.").
TIME_FORMAT = "g:i A"
