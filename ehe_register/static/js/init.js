// Starts every GOV.UK Frontend component on the page (buttons, error summary, navigation...).
import { initAll } from "../govuk/govuk-frontend.min.js";

initAll();
