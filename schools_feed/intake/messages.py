"""Every message the intake gives, as a constant, so tests assert on the rule and not on wording.

Row messages name the field; the row number and column come from where they are raised. They
follow the GOV.UK style: say what is wrong and how to put it right.
"""


class FileMessages:
    EMPTY = "The file is empty"
    TOO_LARGE = "The file must be smaller than {limit}"
    ENCODING = (
        "The file is not UTF-8 or Windows-1252 text (unreadable byte at position {position}). "
        "Save it as CSV UTF-8 and upload it again"
    )
    CSV_BROKEN = "The file could not be read as CSV at line {line}: {error}"
    CSV_QUOTE_NOT_CLOSED = (
        'Row {row} (line {line} of the file) opens a quotation mark (") that is not closed on '
        "that row, so the rows after it are read as part of one value. Close the quotation mark "
        "or remove it, and upload the file again"
    )
    NUL_CHARACTER = (
        "Line {line} of the file holds a NUL character, which no text file should: the file may "
        "be damaged. Save it again from your MIS or spreadsheet as CSV UTF-8 and upload it"
    )
    SAME_FIELD_TWICE = (
        "Columns {first} and {second} ({first_heading} and {second_heading}) are both read as "
        "{field}, and they differ on row {row}. Keep the right one and upload the file again"
    )
    XLSX_BROKEN = (
        "The file could not be read as an Excel workbook (.xlsx). Save it again and upload it"
    )
    XLSX_UNPACKS_TOO_LARGE = (
        "{file} would unpack to more than {limit}, the most the register reads from one "
        "workbook. Save the data sheet alone as CSV, or split it into smaller files"
    )
    XLSX_TOO_MANY_ROWS = (
        "{file} has more than {limit} rows in one sheet. Split it into files of up to {limit} "
        "rows each"
    )
    MISSING_COLUMNS = "The file has no column for: {columns}"
    NO_ROWS = "The file has column headings but no pupils: add a row for each pupil"
    NO_SCHOOL = (
        "Say which school sent the file: add a School "
        "URN or School LAESTAB column, or choose the school"
    )
    SCHOOL_NOT_CHOSEN = "Choose the school the file is for: a file holds one school's returns"
    UNKNOWN_RETURN_TYPE = (
        "Say what kind of return the file holds: choose it, or add a Return type column"
    )
    ALREADY_RECEIVED = "This file was already received on {received}. Nothing has been changed"
    CTF_NOT_XML = "The file is not a well-formed common transfer file (XML): {error}"
    CTF_FORBIDDEN = (
        "The file contains XML features the register does not accept (entities or a DTD)"
    )
    CTF_NOT_CTF = "The XML file is not a common transfer file (its root is <{root}>, not <CTfile>)"
    CTF_NO_PUPILS = "The common transfer file holds no pupils"
    CTF_NOT_THIS_SCHOOL = (
        "The common transfer file is neither from nor to {school}: its source is {source} and its "
        "destination {destination}"
    )
    CTF_UNKNOWN_SOURCE = "The common transfer file's source school {school} is not in the register"


class RowMessages:
    # Identity
    REQUIRED = "Enter the {field}"
    # UPN and ULN messages are the DfE census ones, in registry.identifiers.
    DATE_INVALID = "{field} must be a real date, like 27/03/2016 or 2016-03-27"
    DOB_IN_FUTURE = "Date of birth must be in the past"
    AGE_IMPLAUSIBLE = "The pupil would be {age} on {on}: check the date of birth"
    AGE_NURSERY_OR_SIXTH_FORM = (
        "The pupil is below or above compulsory school age on {on} (nursery or sixth form)"
    )
    SEX_INVALID = "Sex must be M or F"
    NC_YEAR_INVALID = "NC year must be N1, N2, R, 1 to 14 or X"
    SEN_INVALID = "SEN provision must be E, K or N"
    FSM_INVALID = "FSM eligible must be Y or N"
    POSTCODE_FORMAT = "Postcode {postcode} does not look like a UK postcode: check it"
    PHONE_FORMAT = "Phone number {phone} does not look like a UK phone number: check it"
    RETURN_TYPE_INVALID = (
        "Return type must be one of: deletion, new pupil, CME referral, ten-day absence, exclusion"
    )
    # School
    SCHOOL_UNKNOWN = "No school with {identifier} {value} in the register (GIAS)"
    SCHOOL_NOT_YOURS = "You cannot send returns for school {value}"
    SCHOOL_NOT_THIS_SUBMISSION = (
        "This file is for {school}, but the row names school {value}: send each school's "
        "returns in a file for that school"
    )
    DESTINATION_UNKNOWN = (
        "No school with {identifier} {value} in the "
        "register (GIAS): the destination is kept as sent"
    )
    # Deletion returns
    GROUND_REQUIRED = "Enter the ground for deletion"
    GROUND_INVALID = (
        "Ground {ground} is not a ground of the {regulations} for a deletion dated {on}"
    )
    GROUND_AMBIGUOUS = (
        "Ground '{ground}' on a deletion dated on or after {since}: under the 2024 Regulations "
        "9(1)({letter}) is '{meaning_2024}'; under the 2006 Regulations 8(1)({letter}) was "
        "'{meaning_2006}', now 9(1)({now}). Send the 2024 ground: '{now}' for '{now_meaning}', "
        "or 9(1)({letter}) written in full if you meant '{meaning_2024}'"
    )
    DELETION_DATE_IN_FUTURE = "Date of deletion must be no more than {days} days from today"
    DELETION_BEFORE_BIRTH = "Date of deletion must be after the date of birth"
    DELETION_BEFORE_SCHOOL_OPENED = "Date of deletion must be after the school opened on {opened}"
    RETURN_LATE = (
        "Late return: received {received} after the deletion on {deleted}. "
        "A name cannot be deleted retrospectively"
    )
    HOME_EDUCATION_NOTICE_REQUIRED = (
        "Enter the date of the parent's written "
        "notice (required for home education, ground {ground})"
    )
    HOME_EDUCATION_BEFORE_NOTICE = (
        "Deleted on {deleted}, before the parent's written notice dated {notice}"
    )
    DESTINATION_REQUIRED = (
        "Enter the destination school's URN or LAESTAB (required for ground {ground})"
    )
    NEW_ADDRESS_MISSING = (
        "No new address for ground {ground}: the "
        "pupil will be referred as possibly missing education"
    )
    LOST_PUPIL_INVALID = "Lost pupil must be Y or N"
    PARENT_REQUIRED = "Enter the full name of a parent the pupil lives with"
    PARENT_PHONE_REQUIRED = "Enter an emergency phone number for {parent}"
    ADDRESS_REQUIRED = "Enter the pupil's address"
    FINAL_YEAR_EXEMPT = (
        "No return is needed for a pupil leaving at the end of the school's final year "
        "(reg 13(5)); it is kept"
    )
    # New pupil returns
    STARTING_DATE_IN_FUTURE = "Starting day must be today or in the past"
    NEW_PUPIL_RETURN_LATE = (
        "Late return: a new pupil return is due within 5 days of the starting day ({due})"
    )
    # CME referrals, absence, exclusions
    DAYS_ABSENT_TOO_FEW = "A ten-day absence return is for {needed} or more consecutive school days"
    DAYS_ABSENT_MORE_THAN_POSSIBLE = (
        "{days} consecutive school days cannot have passed since the first day of absence "
        "({start}): there have been only {possible} weekdays since"
    )
    WHOLE_NUMBER = "{field} must be a whole number"
    EXCLUSION_TYPE_INVALID = "Exclusion type must be suspension or permanent"
    DATE_AFTER_TODAY = "{field} must be today or in the past"
    # Duplicates
    DUPLICATE_IN_FILE = "Same pupil and event as row {row}: only the first is imported"
    DUPLICATE_EARLIER = "Already received on {received}: not imported again"
