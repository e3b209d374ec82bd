import { initAll } from "/static/govuk-frontend.min.js";
document.body.classList.add("govuk-frontend-supported");
initAll();
