// A table's items: explore the table or one of its indexes by Scan or Query, page forwards and
// backwards, open an item in the editor, create, duplicate and delete items (one, or many in
// batches), export the results and import a file (the page is items/page.js).
//
// A table of any size opens with two small requests, DescribeTable and a Scan of one page, sent
// at once and while the page's modules load; the count shown is DescribeTable's ItemCount,
// never a scan.

import { dynamodb } from "../api.js";

const FIRST_PAGE_SIZE = 25;
// The page's modules, asked for all at once: otherwise the browser discovers them level by
// level (page → editor → values), one round trip each. A module left off this list still
// loads, only later.
const MODULES = [
  "../items/values.js",
  "../items/controls.js",
  "../items/expressions.js",
  "../items/save_plan.js",
  "../items/transfer.js",
  "../items/batch.js",
  "../items/grid.js",
  "../items/editor.js",
  "../items/query_form.js",
  "../items/transfer_panel.js",
  "../table_tabs.js",
];

export async function render(main, [name]) {
  const first = { TableName: name, Limit: FIRST_PAGE_SIZE };
  const [described, page, view] = await Promise.all([
    dynamodb("DescribeTable", { TableName: name }),
    dynamodb("Scan", first).catch((error) => ({ error })),
    import("../items/page.js"),
    ...MODULES.map((module) => import(module)),
  ]);
  new view.ItemsPage(main, described.Table).show({ operation: "Scan", body: first }, page);
}
