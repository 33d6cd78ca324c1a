// GOV.UK Frontend's styles for enhanced components apply once the body says scripts run.
// A file (not inline) so that the Content Security Policy can forbid inline script.
document.body.className += ' js-enabled' + ('noModule' in HTMLScriptElement.prototype ? ' govuk-frontend-supported' : '');
