-- Seed catalogue: applied by scripts/migrate.sh only when products is empty.
INSERT INTO products (name, description, category, price_cents, stock) VALUES
 ('Chocolate Croissant', 'Buttery laminated croissant filled with two batons of dark chocolate.', 'pastry', 350, 40),
 ('Butter Croissant', 'Classic all-butter croissant, crisp outside and honeycombed within.', 'pastry', 275, 60),
 ('Almond Croissant', 'Twice-baked croissant with frangipane and toasted flaked almonds.', 'pastry', 395, 25),
 ('Cinnamon Roll', 'Soft brioche swirl with cinnamon sugar and a cream-cheese glaze.', 'pastry', 325, 30),
 ('Blueberry Muffin', 'Tender buttermilk muffin packed with blueberries and a crumble top.', 'muffin', 275, 36),
 ('Double Chocolate Muffin', 'Cocoa muffin studded with dark and milk chocolate chunks.', 'muffin', 295, 30),
 ('Lemon Poppy Seed Muffin', 'Zesty lemon muffin with poppy seeds and a light lemon drizzle.', 'muffin', 275, 24),
 ('Sourdough Loaf', 'Naturally leavened country loaf with a dark, blistered crust. 800 g.', 'bread', 650, 20),
 ('Seeded Rye', 'Dense rye bread with sunflower, pumpkin and flax seeds. 750 g.', 'bread', 595, 15),
 ('Baguette', 'Traditional French baguette, baked several times a day.', 'bread', 250, 50),
 ('Focaccia', 'Olive-oil focaccia with rosemary and flaky sea salt.', 'bread', 450, 18),
 ('Chocolate Cake', 'Three layers of chocolate sponge with ganache. Serves 8.', 'cake', 2800, 6),
 ('Carrot Cake', 'Spiced carrot and walnut cake with cream-cheese frosting. Serves 8.', 'cake', 2600, 5),
 ('Lemon Tart', 'Sweet shortcrust tart with a sharp lemon curd filling. Serves 6.', 'cake', 2200, 8),
 ('Oatmeal Raisin Cookie', 'Chewy oat cookie with plump raisins and a hint of cinnamon.', 'cookie', 175, 80),
 ('Chocolate Chip Cookie', 'Brown-butter cookie with dark chocolate chips and sea salt.', 'cookie', 195, 90);
