// shop.js - the storefront page (index.html): branch, catalogue, cart,
// pickup time, checkout.
import { initBranchView } from './branch-view.js';
import { initCartView, setProducts } from './cart-view.js';
import { initCatalogue, reload } from './catalogue.js';
import { initCheckout } from './checkout.js';
import { initSlots } from './slots.js';

initCartView();
initCheckout({ refreshStock: reload });
initCatalogue({ loaded: setProducts });
initBranchView().then(initSlots);
