# Spanish: a 24-hour clock, "21:18", "09:05".
TIME_FORMAT = "H:i"
