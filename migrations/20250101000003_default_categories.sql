-- The system categories every user starts with (user_id NULL). Users add their own and
-- may nest them under these. tax_line names the Schedule C line where one applies.
WITH parents(name, kind, icon, color, sort_order) AS (VALUES
    ('Income', 'income', '💰', '#2E7D32', 10),
    ('Housing', 'expense', '🏠', '#6D4C41', 20),
    ('Food', 'expense', '🍽', '#EF6C00', 30),
    ('Transportation', 'expense', '🚗', '#1565C0', 40),
    ('Shopping', 'expense', '🛍', '#AD1457', 50),
    ('Health', 'expense', '⚕', '#00838F', 60),
    ('Entertainment', 'expense', '🎬', '#6A1B9A', 70),
    ('Travel', 'expense', '✈', '#283593', 80),
    ('Business', 'expense', '💼', '#37474F', 90),
    ('Fees & Charges', 'expense', '🧾', '#757575', 100),
    ('Transfer', 'transfer', '🔁', '#9E9E9E', 110)
)
INSERT INTO categories (user_id, parent_id, name, kind, icon, color, sort_order)
SELECT NULL, NULL, name, kind::category_kind, icon, color, sort_order FROM parents;

WITH children(parent, name, tax_line, deductible, sort_order) AS (VALUES
    ('Income', 'Salary', NULL, false, 1),
    ('Income', 'Business income', 'Schedule C line 1', false, 2),
    ('Income', 'Interest', NULL, false, 3),
    ('Income', 'Refunds', NULL, false, 4),
    ('Housing', 'Rent', NULL, false, 1),
    ('Housing', 'Utilities', NULL, false, 2),
    ('Housing', 'Insurance', NULL, false, 3),
    ('Food', 'Groceries', NULL, false, 1),
    ('Food', 'Restaurants', NULL, false, 2),
    ('Food', 'Coffee', NULL, false, 3),
    ('Transportation', 'Fuel', NULL, false, 1),
    ('Transportation', 'Public transit', NULL, false, 2),
    ('Transportation', 'Rideshare', NULL, false, 3),
    ('Shopping', 'Clothing', NULL, false, 1),
    ('Shopping', 'Electronics', NULL, false, 2),
    ('Shopping', 'Home', NULL, false, 3),
    ('Health', 'Pharmacy', NULL, false, 1),
    ('Health', 'Doctor', NULL, false, 2),
    ('Health', 'Fitness', NULL, false, 3),
    ('Entertainment', 'Streaming', NULL, false, 1),
    ('Entertainment', 'Events', NULL, false, 2),
    ('Travel', 'Flights', NULL, false, 1),
    ('Travel', 'Lodging', NULL, false, 2),
    ('Business', 'Software', 'Schedule C line 18', true, 1),
    ('Business', 'Office supplies', 'Schedule C line 18', true, 2),
    ('Business', 'Professional services', 'Schedule C line 17', true, 3),
    ('Business', 'Advertising', 'Schedule C line 8', true, 4),
    ('Business', 'Business travel', 'Schedule C line 24a', true, 5),
    ('Business', 'Business meals', 'Schedule C line 24b', true, 6),
    ('Fees & Charges', 'Bank fees', NULL, false, 1),
    ('Fees & Charges', 'Interest charges', NULL, false, 2),
    ('Transfer', 'Credit card payment', NULL, false, 1),
    ('Transfer', 'Savings transfer', NULL, false, 2)
)
INSERT INTO categories (user_id, parent_id, name, kind, tax_line, deductible_default, sort_order)
SELECT NULL, p.id, c.name, p.kind, c.tax_line, c.deductible, c.sort_order
FROM children c JOIN categories p ON p.name = c.parent AND p.user_id IS NULL AND p.parent_id IS NULL;
