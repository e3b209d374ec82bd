// Live progress of a theme analysis: asks the server for the run's state every second and updates the bar.
const box = document.querySelector("[data-analysis-run]");
if (box) {
  const bar = box.querySelector("progress");
  const percent = box.querySelector("[data-percent]");
  const message = box.querySelector("[data-message]");
  const tick = async () => {
    try {
      const response = await fetch(box.dataset.statusUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (response.ok) {
        const state = await response.json();
        bar.value = state.progress;
        bar.textContent = `${state.percent}%`;
        percent.textContent = `${state.percent}%`;
        if (message.textContent !== state.message) message.textContent = state.message;
        if (state.finished) {
          window.location.reload();
          return;
        }
      }
    } catch (error) {
      // the network blinked: try again on the next tick
    }
    window.setTimeout(tick, 1000);
  };
  window.setTimeout(tick, 1000);
}
