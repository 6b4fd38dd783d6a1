-- Seed catalogue: applied by scripts/migrate.sh only when products is empty.
INSERT INTO products (name, description, category, price_cents, stock, allergens, dietary) VALUES
 ('Chocolate Croissant', 'Buttery laminated croissant filled with two batons of dark chocolate.', 'pastry', 350, 40, '{gluten,milk,eggs,soy}', '{vegetarian}'),
 ('Butter Croissant', 'Classic all-butter croissant, crisp outside and honeycombed within.', 'pastry', 275, 60, '{gluten,milk,eggs}', '{vegetarian}'),
 ('Almond Croissant', 'Twice-baked croissant with frangipane and toasted flaked almonds.', 'pastry', 395, 25, '{gluten,milk,eggs,nuts}', '{vegetarian}'),
 ('Cinnamon Roll', 'Soft brioche swirl with cinnamon sugar and a cream-cheese glaze.', 'pastry', 325, 30, '{gluten,milk,eggs}', '{vegetarian}'),
 ('Blueberry Muffin', 'Tender buttermilk muffin packed with blueberries and a crumble top.', 'muffin', 275, 36, '{gluten,milk,eggs}', '{vegetarian}'),
 ('Double Chocolate Muffin', 'Cocoa muffin studded with dark and milk chocolate chunks.', 'muffin', 295, 30, '{gluten,milk,eggs,soy}', '{vegetarian}'),
 ('Lemon Poppy Seed Muffin', 'Zesty lemon muffin with poppy seeds and a light lemon drizzle.', 'muffin', 275, 24, '{gluten,milk,eggs}', '{vegetarian}'),
 ('Sourdough Loaf', 'Naturally leavened country loaf with a dark, blistered crust. 800 g.', 'bread', 650, 20, '{gluten}', '{vegan,vegetarian}'),
 ('Seeded Rye', 'Dense rye bread with sunflower, pumpkin and flax seeds. 750 g.', 'bread', 595, 15, '{gluten,sesame}', '{vegan,vegetarian}'),
 ('Baguette', 'Traditional French baguette, baked several times a day.', 'bread', 250, 50, '{gluten}', '{vegan,vegetarian}'),
 ('Focaccia', 'Olive-oil focaccia with rosemary and flaky sea salt.', 'bread', 450, 18, '{gluten}', '{vegan,vegetarian}'),
 ('Chocolate Cake', 'Three layers of chocolate sponge with ganache. Serves 8.', 'cake', 2800, 6, '{gluten,milk,eggs,soy}', '{vegetarian}'),
 ('Carrot Cake', 'Spiced carrot and walnut cake with cream-cheese frosting. Serves 8.', 'cake', 2600, 5, '{gluten,milk,eggs,nuts}', '{vegetarian}'),
 ('Lemon Tart', 'Sweet shortcrust tart with a sharp lemon curd filling. Serves 6.', 'cake', 2200, 8, '{gluten,milk,eggs}', '{vegetarian}'),
 ('Oatmeal Raisin Cookie', 'Chewy oat cookie with plump raisins and a hint of cinnamon.', 'cookie', 175, 80, '{gluten,milk}', '{vegetarian}'),
 ('Chocolate Chip Cookie', 'Brown-butter cookie with dark chocolate chips and sea salt.', 'cookie', 195, 90, '{gluten,milk,eggs,soy}', '{vegetarian}');
