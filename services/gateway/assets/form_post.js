// response_mode=form_post: the page's form carries the answer to the application; post it
// at once (without this script, the user's "Continue" does).
document.forms[0].submit();
