-- Where a learned line was cut: its index among the lines of the text as cleaned before any learned
-- line was cut (rule learned_boilerplate; NULL for the other rules and for rows stored before). A
-- line learned later is judged with its cut neighbours back in place: a short line right below a
-- cut one belongs to the same block and goes too, instead of standing alone as a heading.
ALTER TABLE removals ADD COLUMN line_no INTEGER;
