// Form controls the items pages share.

import { h, uid } from "../ui.js";

/** A fieldset of radio buttons: `choices` are [value, label]; `onchange(value)` runs when one is
 * chosen. Read the choice with `chosen(fieldset)`. */
export function radios(legend, choices, checked, onchange, className = "inline") {
  const name = uid("choice");
  return h(
    "fieldset",
    { class: className },
    legend,
    choices.map(([value, label]) =>
      h(
        "label",
        { class: "check" },
        h("input", {
          type: "radio",
          name,
          value,
          checked: value === checked,
          onchange: onchange ? () => onchange(value) : null,
        }),
        label,
      ),
    ),
  );
}

export function chosen(fieldset) {
  return fieldset.querySelector("input[type=radio]:checked").value;
}
