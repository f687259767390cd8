using System.Globalization;

namespace AgentOps.Workers.Environments.Tools;

/// <summary>
/// The `tools` environment's templates, 1 to 3 tool calls each. Every answer is computed by calling the template's
/// tools in order on the C# side of the world; every reference cell stays within <see cref="MaxCellBytes"/> so it
/// fits one action of the examples' 96-token budget with its &lt;code&gt; tags.
/// </summary>
internal static class ToolTemplates
{
    public const int MaxCellBytes = 83;
    public const int MaxTools = 3;
    private const string Import = "from biz import *\n";

    public static readonly IReadOnlyList<ToolTemplate> All =
    [
        new("order-status", ["get_order"], (w, r) =>
        {
            var o = Pick(r, w.Orders).Id;
            return new([$"status of order {o}?", $"is order {o} pending, shipped or cancelled?", $"what state is order {o} in?"],
                w.GetOrder(o).Status,
                [[$"{Import}print(get_order('{o}')['status'])"], [$"{Import}o=get_order('{o}')\nprint(o)", "print(o['status'])"]]);
        }),
        new("customer-city", ["get_customer"], (w, r) =>
        {
            var c = Pick(r, w.Customers).Id;
            return new([$"which city is customer {c} in?", $"city of customer {c}?", $"where does customer {c} live?"],
                w.GetCustomer(c).City,
                [[$"{Import}print(get_customer('{c}')['city'])"], [$"{Import}c=get_customer('{c}')\nprint(c)", "print(c['city'])"]]);
        }),
        new("product-price", ["find_product"], (w, r) =>
        {
            var p = Pick(r, w.Products).Name;
            return new([$"price of the {p}?", $"how much does the {p} cost?", $"what does one {p} cost?"],
                I(w.FindProduct(p).Price),
                [[$"{Import}print(find_product('{p}')['price'])"], [$"{Import}p=find_product('{p}')\nprint(p)", "print(p['price'])"]]);
        }),
        new("product-stock", ["find_product"], (w, r) =>
        {
            var p = Pick(r, w.Products).Name;
            return new([$"units in stock of the {p}?", $"stock level of the {p}?", $"how many of the {p} are in stock?"],
                I(w.FindProduct(p).Stock),
                [[$"{Import}print(find_product('{p}')['stock'])"], [$"{Import}p=find_product('{p}')\nprint(p)", "print(p['stock'])"]]);
        }),
        new("meetings-on", ["list_events"], (w, r) =>
        {
            var d = Pick(r, w.Events).Date;
            return new([$"how many meetings on {d}?", $"number of meetings on {d}?", $"count the meetings scheduled for {d}."],
                I(w.ListEvents(d).Count),
                [[$"{Import}print(len(list_events('{d}')))"], [$"{Import}es=list_events('{d}')\nprint(es)", "print(len(es))"]]);
        }),
        new("order-product-stock", ["get_order", "get_product"], (w, r) =>
        {
            var o = Pick(r, w.Orders).Id;
            return new([$"units in stock of the product in order {o}?", $"stock of the product ordered in {o}?",
                    $"how many of the item in order {o} are in stock?"],
                I(w.GetProduct(w.GetOrder(o).Sku).Stock),
                [[$"{Import}o=get_order('{o}')\nprint(o['sku'])", "print(get_product(o['sku'])['stock'])"],
                 [$"{Import}print(get_product(get_order('{o}')['sku'])['stock'])"]]);
        }),
        new("order-customer-city", ["get_order", "get_customer"], (w, r) =>
        {
            var o = Pick(r, w.Orders).Id;
            return new([$"city of the customer of order {o}?", $"where does the customer who placed {o} live?",
                    $"which city is the customer of order {o} from?"],
                w.GetCustomer(w.GetOrder(o).CustomerId).City,
                [[$"{Import}o=get_order('{o}')\nprint(o['customer_id'])", "print(get_customer(o['customer_id'])['city'])"],
                 [$"{Import}c=get_order('{o}')['customer_id']\nprint(get_customer(c)['city'])"]]);
        }),
        new("order-customer-name", ["get_order", "get_customer"], (w, r) =>
        {
            var o = Pick(r, w.Orders).Id;
            return new([$"who placed order {o}?", $"name of the customer of order {o}?", $"which customer ordered {o}?"],
                w.GetCustomer(w.GetOrder(o).CustomerId).Name,
                [[$"{Import}o=get_order('{o}')\nprint(o['customer_id'])", "print(get_customer(o['customer_id'])['name'])"],
                 [$"{Import}c=get_order('{o}')['customer_id']\nprint(get_customer(c)['name'])"]]);
        }),
        new("customer-order-count", ["find_customer", "list_orders"], (w, r) =>
        {
            var n = Pick(r, w.Customers).Name;
            return new([$"how many orders has {n} placed?", $"number of orders by {n}?", $"count the orders of {n}."],
                I(w.ListOrders(w.FindCustomer(n).Id).Count),
                [[$"{Import}c=find_customer('{n}')\nprint(c['id'])", "print(len(list_orders(c['id'])))"],
                 [Id(n), "print(sum(len(list_orders(c,s)) for s in ('pending','shipped','cancelled')))"]]);
        }),
        new("customer-shipped-total", ["find_customer", "list_orders"], (w, r) =>
        {
            var n = Pick(r, w.Customers).Name;
            return new([$"total spent by {n} on shipped orders?", $"sum of the totals of {n}'s shipped orders?",
                    $"how much has {n} spent on orders that shipped?"],
                I(w.ListOrders(w.FindCustomer(n).Id, "shipped").Sum(o => o.Total)),
                [[$"{Import}c=find_customer('{n}')\nprint(c['id'])", "print(sum(o['total'] for o in list_orders(c['id'],'shipped')))"],
                 [Id(n), "os=list_orders(c)\nprint(os)", "print(sum(o['total'] for o in os if o['status']=='shipped'))"]]);
        }),
        new("customer-status-count", ["find_customer", "list_orders"], (w, r) =>
        {
            var n = Pick(r, w.Customers).Name;
            var s = Pick(r, BusinessWorld.Statuses);
            return new([$"how many {s} orders does {n} have?", $"number of {s} orders of {n}?", $"count the {s} orders of {n}."],
                I(w.ListOrders(w.FindCustomer(n).Id, s).Count),
                [[$"{Import}c=find_customer('{n}')\nprint(c['id'])", $"print(len(list_orders(c['id'],'{s}')))"],
                 [Id(n), $"print(len([o for o in list_orders(c) if o['status']=='{s}']))"]]);
        }),
        new("largest-order-stock", ["find_customer", "list_orders", "get_product"], (w, r) =>
        {
            var n = Pick(r, w.Customers).Name;
            if (Largest(w.ListOrders(w.FindCustomer(n).Id)) is not { } o) return null;
            return new([$"units in stock of the product in {n}'s largest order?", $"stock of the item in the biggest order of {n}?",
                    $"how many of the product in {n}'s largest order are in stock?"],
                I(w.GetProduct(o.Sku).Stock),
                [[$"{Import}c=find_customer('{n}')\nprint(c['id'])", "o=max(list_orders(c['id']),key=lambda o:o['total'])\nprint(o['sku'])",
                  "print(get_product(o['sku'])['stock'])"],
                 [Id(n), "o=sorted(list_orders(c),key=lambda o:o['total'])[-1]\nprint(o)", "print(get_product(o['sku'])['stock'])"]]);
        }),
        new("largest-order-product", ["find_customer", "list_orders", "get_product"], (w, r) =>
        {
            var n = Pick(r, w.Customers).Name;
            if (Largest(w.ListOrders(w.FindCustomer(n).Id)) is not { } o) return null;
            return new([$"name of the product in {n}'s largest order?", $"what did {n} buy in their biggest order?",
                    $"which product is in the largest order of {n}?"],
                w.GetProduct(o.Sku).Name,
                [[$"{Import}c=find_customer('{n}')\nprint(c['id'])", "o=max(list_orders(c['id']),key=lambda o:o['total'])\nprint(o['sku'])",
                  "print(get_product(o['sku'])['name'])"],
                 [Id(n), "o=sorted(list_orders(c),key=lambda o:o['total'])[-1]\nprint(o)", "print(get_product(o['sku'])['name'])"]]);
        }),
        new("ordered-products-stock", ["find_customer", "list_orders", "get_product"], (w, r) =>
        {
            var n = Pick(r, w.Customers).Name;
            var skus = w.ListOrders(w.FindCustomer(n).Id).Select(o => o.Sku).Distinct().ToList();
            if (skus.Count == 0) return null;
            return new([$"total units in stock of the products {n} has ordered?", $"summed stock of every product {n} ordered?",
                    $"how many units of the products ordered by {n} are in stock altogether?"],
                I(skus.Sum(s => w.GetProduct(s).Stock)),
                [[$"{Import}c=find_customer('{n}')\nprint(c['id'])", "ks={o['sku'] for o in list_orders(c['id'])}\nprint(ks)",
                  "print(sum(get_product(k)['stock'] for k in ks))"]]);
        }),
    ];

    /// <summary>The one order with the largest total, or null when there is none or a tie (the answer would be ambiguous).</summary>
    private static Order? Largest(IReadOnlyList<Order> orders)
    {
        if (orders.Count == 0) return null;
        var top = orders.Max(o => o.Total);
        return orders.Count(o => o.Total == top) == 1 ? orders.Single(o => o.Total == top) : null;
    }

    /// <summary>A first cell that keeps the customer's id itself in `c`.</summary>
    private static string Id(string name) => $"{Import}c=find_customer('{name}')['id']\nprint(c)";

    private static T Pick<T>(Random random, IReadOnlyList<T> items) => items[random.Next(items.Count)];

    private static string I(int value) => value.ToString(CultureInfo.InvariantCulture);
}
